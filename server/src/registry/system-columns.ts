import { integer, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The system fields every synced entity has (DESIGN §4, R1): the device makes the `id`, the server
 * owns `version`, `createdAt` and `changedAt`. Spread into a drizzle table:
 * `pgTable('customer', { ...syncColumns(), name: text('name').notNull() })`.
 */
export function syncColumns() {
  return {
    id: uuid('id').primaryKey(),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    changedAt: timestamp('changed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  };
}

/** Names of the system fields; they are never attributes a device writes. */
export const systemFields = ['id', 'version', 'createdAt', 'changedAt'] as const;
export type SystemField = (typeof systemFields)[number];
