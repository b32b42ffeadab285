import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { compileSql } from '../db/compiled-sql.ts';
import { queryRows } from '../db/connect.ts';
import type { Db } from '../registry/define-entity.ts';
import type { Row } from './types.ts';

/**
 * Whole rows of an entity's table, as `db.select().from(table)` returns them, with the select
 * list and the row decoder compiled once per table. drizzle's query builder rebuilds the select
 * list of every column (and checks each one's kind) on every query, which was a tenth of the
 * server's CPU for a one-object selective sync; the rows here are the same objects: every column
 * under its field name, decoded by the column's own `mapFromDriverValue`.
 */

interface CompiledTable {
  /** `"id", "version", …`: every column by its database name. */
  list: SQL;
  /** Database name, field name and column, in table order. */
  columns: { name: string; key: string; column: AnyPgColumn }[];
}

const compiled = new WeakMap<PgTable, CompiledTable>();

function compile(table: PgTable): CompiledTable {
  let entry = compiled.get(table);
  if (!entry) {
    const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ name: column.name, key, column: column as AnyPgColumn }));
    entry = { list: compileSql(sql.join(columns.map((c) => sql.identifier(c.name)), sql`, `))({}), columns };
    compiled.set(table, entry);
  }
  return entry;
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
  where?: SQL;
  /** Order by the primary key `id`, ascending. */
  orderById?: boolean;
  limit?: number;
  /** Lock the rows read (`for update`). */
  forUpdate?: boolean;
}

/** The table's rows matching `where`, every column, as drizzle's `select()` returns them. */
export async function selectRows(db: Db, table: PgTable & { id: AnyPgColumn }, options: SelectRowsOptions = {}): Promise<Row[]> {
  const { columns } = compile(table);
  const rows = await queryRows<Record<string, unknown>>(db, selectSql(table, null, options));
  return rows.map((raw) => decode(columns, raw));
}

/** `selectRows`, with the value of the SQL expression `extra` beside each row, as the driver returns it. */
export async function selectRowsWith<T>(db: Db, table: PgTable & { id: AnyPgColumn }, extra: SQL, options: SelectRowsOptions = {}): Promise<{ row: Row; extra: T }[]> {
  const { columns } = compile(table);
  const rows = await queryRows<Record<string, unknown>>(db, selectSql(table, extra, options));
  return rows.map((raw) => ({ row: decode(columns, raw), extra: raw[EXTRA] as T }));
}

/** The result column of `selectRowsWith`'s extra value, named unlike any column a table would have. */
const EXTRA = '?extra';

function selectSql(table: PgTable & { id: AnyPgColumn }, extra: SQL | null, options: SelectRowsOptions): SQL {
  const parts: SQL[] = [sql`select ${compile(table).list}`];
  if (extra) parts.push(sql`, (${extra}) as ${sql.identifier(EXTRA)}`);
  parts.push(sql` from ${table}`);
  if (options.where) parts.push(sql` where ${options.where}`);
  if (options.orderById) parts.push(sql` order by ${table.id}`);
  if (options.limit !== undefined) parts.push(sql` limit ${sql.raw(String(Math.floor(options.limit)))}`);
  if (options.forUpdate) parts.push(sql` for update`);
  return sql.join(parts);
}
