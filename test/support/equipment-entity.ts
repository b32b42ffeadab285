import { eq } from 'drizzle-orm';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { defineEntity } from '../../server/src/registry/define-entity.ts';
import { syncColumns, syncIndexes } from '../../server/src/registry/system-columns.ts';
import { isAdmin } from '../../server/src/registry/viewer.ts';
import { HookError } from '../../server/src/sync/errors.ts';

/**
 * A new entity declared the way docs/extending.md tells a backend developer to: a drizzle table
 * and one `defineEntity`. It also exercises what the demo does not: `reject` and custom merge
 * policies (R5) and hooks that fail (R8).
 */
export const equipment = pgTable(
  'equipment',
  {
    ...syncColumns(),
    name: text('name').notNull(),
    serialNumber: text('serial_number').unique(),
    notes: text('notes'),
    counter: integer('counter').notNull().default(0),
    ownerId: text('owner_id').notNull(),
  },
  (t) => [...syncIndexes(t)],
);

/** What `npm run db:generate` would write for the table above. */
export const equipmentDdl = [
  `create table "equipment" (
    "id" uuid primary key, "version" integer default 1 not null,
    "created_at" timestamp with time zone default now() not null, "changed_at" timestamp with time zone default now() not null,
    "changed_tx" xid8 default pg_current_xact_id() not null,
    "name" text not null, "serial_number" text constraint "equipment_serial_number_unique" unique, "notes" text, "counter" integer default 0 not null, "owner_id" text not null)`,
  `create index "equipment_changed_tx_index" on "equipment" ("changed_tx")`,
];

export const equipmentEntity = defineEntity({
  name: 'Equipment',
  table: equipment,
  pluralName: 'equipmentList',
  description: 'A tool or machine owned by a user.',
  download: { mode: 'FILTERED', filter: (viewer, t) => isAdmin(viewer) || eq(t.ownerId, viewer.id) },
  access: {
    read: (viewer, t) => isAdmin(viewer) || eq(t.ownerId, viewer.id),
    create: ({ viewer, row }) => isAdmin(viewer) || row.ownerId === viewer.id,
    update: ({ viewer, previous }) => isAdmin(viewer) || previous?.ownerId === viewer.id,
    delete: ({ viewer, row }) => isAdmin(viewer) || row.ownerId === viewer.id,
    writable: { admin: 'all', fieldworker: ['name', 'serialNumber', 'notes', 'counter', 'ownerId'] },
  },
  merge: {
    default: 'reject',
    attributes: {
      notes: 'deviceWins',
      // Counters merge by adding the device's delta to the server's value.
      counter: ({ base, device, server }) => (server as number) + ((device as number) - (base as number)),
    },
  },
  hooks: {
    beforeCommit: ({ row }) => {
      if (row.name === 'explode') throw new HookError('Equipment may not be called explode');
      if (row.name === 'crash') throw new Error('internal detail that must not leak');
    },
  },
});
