import { sql } from 'drizzle-orm';
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
 * Writes `attributes` of every row in one UPDATE, bumping each row's version, and returns how
 * many rows it updated; false when some value has no JSON form (the caller writes row by row).
 * It stamps `changed_tx` itself, which spares the change-tracking trigger's function call per row.
 */
export async function updateRows(db: Db, model: EntityModel, attributes: readonly string[], rows: readonly RowUpdate[], now: Date): Promise<number | false> {
  const table = model.table;
  const columns = attributes.map((name) => model.attributes.get(name)!.column);
  const records: Record<string, unknown>[] = [];
  for (const { id, values } of rows) {
    const record: Record<string, unknown> = { [table.id.name]: id };
    for (let i = 0; i < attributes.length; i++) {
      const value = values[attributes[i]!];
      const encoded = jsonValue(columns[i]!, value);
      if (encoded === undefined && value != null) return false;
      record[columns[i]!.name] = encoded;
    }
    records.push(record);
  }
  const assignments = columns.map((column) => sql`${sql.identifier(column.name)} = v.${sql.identifier(column.name)}`);
  const [updated] = await queryRows<{ count: number }>(
    db,
    sql`with updated as (update ${table} set ${sql.join(assignments, sql`, `)},
      ${sql.identifier(table.version.name)} = ${table.version} + 1,
      ${sql.identifier(table.changedAt.name)} = ${sql.param(now, table.changedAt)},
      ${sql.identifier(table.changedTx.name)} = pg_current_xact_id()
      from json_populate_recordset(null::${table}, ${JSON.stringify(records)}::json) as v
      where ${table.id} = v.${sql.identifier(table.id.name)}
      returning 1)
      select count(*)::int as count from updated`,
  );
  return Number(updated!.count);
}

/** Inserts complete rows, as few statements as the parameter limit allows. */
export async function insertRows(db: Db, model: EntityModel, rows: readonly Row[]): Promise<void> {
  const perRow = Math.max(1, Object.keys(rows[0] ?? {}).length);
  const chunk = Math.max(1, Math.floor(MAX_PARAMETERS / perRow));
  for (let start = 0; start < rows.length; start += chunk) {
    await db.insert(model.table).values(rows.slice(start, start + chunk));
  }
}
