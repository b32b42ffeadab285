import { sql } from 'drizzle-orm';
import { xid8 } from '../registry/system-columns.ts';
import { bigserial, customType, index, integer, json, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** R4: one row per applied upload `(clientId, syncId)`, holding its recorded outcome. */
export const syncUploads = pgTable(
  'sync_uploads',
  {
    clientId: text('client_id').notNull(),
    syncId: text('sync_id').notNull(),
    viewerId: text('viewer_id').notNull(),
    /** The outcome returned for this upload, replayed to a retry. Null while the upload runs. */
    outcome: jsonb('outcome'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.syncId] }), index('sync_uploads_created_at').on(t.createdAt)],
);

/** R13: what could not be applied, with what was sent, until its viewer resolves it. */
export const syncFailures = pgTable(
  'sync_failures',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    entity: text('entity').notNull(),
    objectId: uuid('object_id').notNull(),
    reason: text('reason').notNull(),
    message: text('message').notNull(),
    content: jsonb('content').notNull(),
    viewerId: text('viewer_id').notNull(),
    clientId: text('client_id').notNull(),
    syncId: text('sync_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
    resolvedBy: text('resolved_by'),
  },
  (t) => [
    index('sync_failures_viewer').on(t.viewerId, t.createdAt),
    index('sync_failures_upload').on(t.clientId, t.syncId),
  ],
);

/**
 * Deleted objects, remembered so that incremental syncs can tell devices to remove them (R14, R19).
 * `tx` is the deleting transaction's id, compared with a checkpoint's snapshot.
 */
export const syncTombstones = pgTable(
  'sync_tombstones',
  {
    entity: text('entity').notNull(),
    objectId: uuid('object_id').notNull(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    tx: xid8('tx').notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    primaryKey({ columns: [t.entity, t.objectId] }),
    index('sync_tombstones_deleted_at').on(t.deletedAt),
    index('sync_tombstones_tx').on(t.tx),
  ],
);

/**
 * The state of a row before each update or delete (written by the change-tracking trigger), so an
 * incremental sync can tell whether the device could have held an object it may no longer see:
 * only then is the object's id sent in `deleted` (nobody learns the ids of others' objects).
 */
export const syncRowHistory = pgTable(
  'sync_row_history',
  {
    // Orders an object's images; no primary key: nothing looks a row up by `seq` alone, and its
    // index cost every updated row a third of what writing its image costs.
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    entity: text('entity').notNull(),
    objectId: uuid('object_id').notNull(),
    tx: xid8('tx').notNull().default(sql`pg_current_xact_id()`),
    // json, not jsonb: written for every updated row and read back only as a whole, by
    // `json_populate_record`, so its text form is all it needs (a tenth of a batched update's time).
    old: json('old').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  // Rows are appended about in recorded_at order, so a BRIN index serves the retention purge's
  // range scan for a fraction of what a btree costs on every written row (every update of every
  // entity writes one).
  (t) => [index('sync_row_history_object').on(t.entity, t.objectId, t.seq), index('sync_row_history_recorded_at').using('brin', t.recordedAt)],
);

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/** F1: file contents by SHA-256, the default blob store. */
export const syncBlobs = pgTable('sync_blobs', {
  hash: text('hash').primaryKey(),
  size: integer('size').notNull(),
  content: bytea('content').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
