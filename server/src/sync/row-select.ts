import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { compileSql, type CompiledSql } from '../db/compiled-sql.ts';
import { queryRows } from '../db/query-rows.ts';
import type { Db } from '../registry/define-entity.ts';
import type { Row } from './types.ts';

/**
 * Whole rows of an entity's table, as `db.select().from(table)` returns them, with the select
 * list, the statement's fixed parts and the row decoder compiled once per table. drizzle renders
 * every chunk of a statement on every query, checking each one's kind (a column reference alone
 * costs microseconds): for a one-object selective sync that was the largest part of the sync
 * core's CPU. The rows here are the same objects: every column under its field name, decoded by
 * the column's own `mapFromDriverValue`.
 */

interface CompiledTable {
  /** `select "id", "version", …`: every column by its database name. */
  select: SQL;
  /** ` from "table"`. */
  from: SQL;
  /** `"table"."id" = any($1::uuid[])`, for an array literal of ids. */
  idIn: CompiledSql<{ ids: string }>;
  /** ` order by "table"."id"`. */
  orderById: SQL;
  /** Database name, field name and column, in table order. */
  columns: { name: string; key: string; column: AnyPgColumn }[];
}

type IdTable = PgTable & { id: AnyPgColumn };

const compiled = new WeakMap<PgTable, CompiledTable>();

function compile(table: IdTable): CompiledTable {
  let entry = compiled.get(table);
  if (!entry) {
    const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ name: column.name, key, column: column as AnyPgColumn }));
    const fixed = (query: SQL) => compileSql(query)({});
    entry = {
      select: fixed(sql`select ${sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `)}`),
      from: fixed(sql` from ${table}`),
      idIn: compileSql(sql`${table.id} = any(${sql.placeholder('ids')}::${sql.raw(table.id.getSQLType())}[])`),
      orderById: fixed(sql` order by ${table.id}`),
      columns,
    };
    compiled.set(table, entry);
  }
  return entry;
}

/** An array literal of ids (one parameter however many; drizzle's `inArray` binds one each). */
function arrayLiteral(ids: Iterable<string>): string {
  const list = Array.isArray(ids) ? (ids as string[]) : Array.from(ids);
  if (list.length === 0) return '{}';
  // Ids are UUIDs as a rule: then one test of them all replaces an escape per id.
  if (!/[\\"]/.test(list.join(''))) return `{"${list.join('","')}"}`;
  return `{${list.map((id) => `"${id.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/** A row as the driver returned it, decoded the way drizzle decodes a selected column. */
function decode(columns: CompiledTable['columns'], raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const { name, key, column } of columns) {
    const value = raw[name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row;
}

export interface SelectRowsOptions {
  /** Only the rows with these ids. */
  ids?: Iterable<string>;
  where?: SQL;
  /** Order by the primary key `id`, ascending. */
  orderById?: boolean;
  limit?: number;
  /** Lock the rows read (`for update`). */
  forUpdate?: boolean;
}

/** The table's rows matching `where`, every column, as drizzle's `select()` returns them. */
export async function selectRows(db: Db, table: IdTable, options: SelectRowsOptions = {}): Promise<Row[]> {
  const { columns } = compile(table);
  const rows = await queryRows<Record<string, unknown>>(db, selectSql(table, null, options));
  return rows.map((raw) => decode(columns, raw));
}

/** `selectRows`, with the value of the SQL expression `extra` beside each row, as the driver returns it. */
export async function selectRowsWith<T>(db: Db, table: IdTable, extra: SQL, options: SelectRowsOptions = {}): Promise<{ row: Row; extra: T }[]> {
  const { columns } = compile(table);
  const rows = await queryRows<Record<string, unknown>>(db, selectSql(table, extra, options));
  return rows.map((raw) => ({ row: decode(columns, raw), extra: raw[EXTRA] as T }));
}

/** The result column of `selectRowsWith`'s extra value, named unlike any column a table would have. */
const EXTRA = '?extra';

/** The statement `selectRows` (`extra` null) or `selectRowsWith` runs, e.g. to explain it. */
export function selectSql(table: IdTable, extra: SQL | null, options: SelectRowsOptions): SQL {
  const statement = compile(table);
  const parts: SQL[] = [statement.select];
  if (extra) parts.push(sql`, (${extra}) as ${sql.identifier(EXTRA)}`);
  parts.push(statement.from);
  const byId = options.ids && statement.idIn({ ids: arrayLiteral(options.ids) });
  if (byId && options.where) parts.push(sql` where ${byId} and (${options.where})`);
  else if (byId ?? options.where) parts.push(sql` where ${byId ?? options.where}`);
  if (options.orderById) parts.push(statement.orderById);
  if (options.limit !== undefined) parts.push(sql` limit ${sql.raw(String(Math.floor(options.limit)))}`);
  if (options.forUpdate) parts.push(sql` for update`);
  return sql.join(parts);
}
