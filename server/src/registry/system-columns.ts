import { sql } from 'drizzle-orm';
import { customType, index, integer, timestamp, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';

/** PostgreSQL's 64-bit transaction id, as text; compared with checkpoint snapshots (R18). */
export const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/**
 * The system fields every synced entity has (DESIGN §4, R1): the device makes the `id`, the server
 * owns `version`, `createdAt` and `changedAt`. `changedTx`, the id of the transaction that last
 * wrote the row, is maintained by a trigger and drives incremental sync; it never leaves the
 * server. Spread into a drizzle table:
 * `pgTable('customer', { ...syncColumns(), name: text('name').notNull() }, (t) => [...syncIndexes(t)])`.
 */
export function syncColumns() {
  return {
    id: uuid('id').primaryKey(),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    changedAt: timestamp('changed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    changedTx: xid8('changed_tx').notNull().default(sql`pg_current_xact_id()`),
  };
}

/** The index incremental sync reads changes through; spread into the table's extra config. */
export function syncIndexes(table: { changedTx: AnyPgColumn }) {
  return [index().on(table.changedTx)];
}

/** Names of the system fields; they are never attributes a device writes. */
export const systemFields = ['id', 'version', 'createdAt', 'changedAt', 'changedTx'] as const;
export type SystemField = (typeof systemFields)[number];
