import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { queryRows } from '../db/query-rows.ts';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel } from '../registry/registry.ts';
import type { Row } from './types.ts';

/**
 * Set-wise writes of the batched upload: many rows in one statement. Updates go through
 * `json_populate_recordset(null::<table>, …)`, so PostgreSQL converts every value with the
 * table's own column types (as it does for parameters), whatever the number of rows.
 */

/** PostgreSQL's limit on bind parameters in one statement, with room to spare. */
export const MAX_PARAMETERS = 60_000;

/** A row's new values for some attributes, keyed by attribute name. */
export interface RowUpdate {
  id: string;
  values: Row;
}

/** An attribute's value as JSON text input for its column; undefined when JSON cannot carry it. */
function jsonValue(column: PgColumn, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (column.columnType === 'PgJson' || column.columnType === 'PgJsonb') return value;
  const driver = column.mapToDriverValue(value);
  if (driver instanceof Date) return driver.toISOString();
  if (typeof driver === 'bigint') return driver.toString();
  if (typeof driver === 'string' || typeof driver === 'number' || typeof driver === 'boolean') return driver;
  return undefined;
}

/**
 * The UPDATE that writes `attributes` of every row, bumping each row's version, and answers how
 * many rows it updated (`countUpdated`); null when some value has no JSON form (the caller writes
 * row by row). It stamps `changed_tx` itself, which spares the change-tracking trigger's function
 * call per row. Built synchronously, so that the caller decides when it is sent.
 */
export function updateStatement(model: EntityModel, attributes: readonly string[], rows: readonly RowUpdate[], now: Date): SQL | null {
  const table = model.table;
  const columns = attributes.map((name) => model.attributes.get(name)!.column);
  const records: Record<string, unknown>[] = [];
  for (const { id, values } of rows) {
    const record: Record<string, unknown> = { [table.id.name]: id };
    for (let i = 0; i < attributes.length; i++) {
      const value = values[attributes[i]!];
      const encoded = jsonValue(columns[i]!, value);
      if (encoded === undefined && value != null) return null;
      record[columns[i]!.name] = encoded;
    }
    records.push(record);
  }
  const assignments = columns.map((column) => sql`${sql.identifier(column.name)} = v.${sql.identifier(column.name)}`);
  return sql`with updated as (update ${table} set ${sql.join(assignments, sql`, `)},
      ${sql.identifier(table.version.name)} = ${table.version} + 1,
      ${sql.identifier(table.changedAt.name)} = ${sql.param(now, table.changedAt)},
      ${sql.identifier(table.changedTx.name)} = pg_current_xact_id()
      from json_populate_recordset(null::${table}, ${JSON.stringify(records)}::json) as v
      where ${table.id} = v.${sql.identifier(table.id.name)}
      returning 1)
      select count(*)::int as count from updated`;
}

/** Runs an `updateStatement`; answers how many rows it updated. */
export async function countUpdated(db: Db, statement: SQL): Promise<number> {
  const [updated] = await queryRows<{ count: number }>(db, statement);
  return Number(updated!.count);
}

/**
 * Inserts complete rows, in as few statements as the parameter limit allows. Every statement is
 * sent before the first is answered, so that they reach the database in order even when the
 * caller does not wait.
 */
export async function insertRows(db: Db, model: EntityModel, rows: readonly Row[]): Promise<void> {
  const perRow = Math.max(1, Object.keys(rows[0] ?? {}).length);
  const chunk = Math.max(1, Math.floor(MAX_PARAMETERS / perRow));
  const statements: Promise<unknown>[] = [];
  for (let start = 0; start < rows.length; start += chunk) {
    statements.push(db.insert(model.table).values(rows.slice(start, start + chunk)).then());
  }
  await Promise.all(statements);
}
