import { eq } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import {
  syncEntityMetadata,
  type EntityMetadata,
  type EntityMetadataMap,
  type SyncEntityTypes,
} from '../../../client-sdk/src/index.ts';
import { demoEntities } from '../../../server/src/demo/entities.ts';
import { defineEntity } from '../../../server/src/registry/define-entity.ts';
import { createRegistry } from '../../../server/src/registry/registry.ts';
import { syncColumns, syncIndexes } from '../../../server/src/registry/system-columns.ts';
import { isAdmin } from '../../../server/src/registry/viewer.ts';

/**
 * Entities with the download modes the demo lacks (R15), served beside the demo's: `Note`
 * (NOTHING_PRESERVE), `Draft` (NEVER) and `Catalog` (ONLINE), each a text and an owner. The SDK
 * reaches them through an injected entity map: the generated one plus these three.
 */

function ownedTable(name: string) {
  return pgTable(name, { ...syncColumns(), text: text('text').notNull(), ownerId: text('owner_id').notNull() }, (t) => [...syncIndexes(t)]);
}

function ownedDdl(name: string): string[] {
  return [
    `create table "${name}" (
      "id" uuid primary key, "version" integer default 1 not null,
      "created_at" timestamp with time zone default now() not null, "changed_at" timestamp with time zone default now() not null,
      "changed_tx" xid8 default pg_current_xact_id() not null,
      "text" text not null, "owner_id" text not null)`,
    `create index "${name}_changed_tx_index" on "${name}" ("changed_tx")`,
  ];
}

const notes = ownedTable('note');
const drafts = ownedTable('draft');
const catalog = ownedTable('catalog_item');

/** Everyone reads and writes their own; admins everything. */
function ownedEntity(name: string, table: ReturnType<typeof ownedTable>, mode: 'NOTHING_PRESERVE' | 'NEVER' | 'ONLINE') {
  return defineEntity({
    name,
    table,
    download: { mode },
    access: {
      read: (viewer, t) => isAdmin(viewer) || eq(t.ownerId, viewer.id),
      create: ({ viewer, row }) => isAdmin(viewer) || row.ownerId === viewer.id,
      update: ({ viewer, row }) => isAdmin(viewer) || row.ownerId === viewer.id,
      delete: ({ viewer, row }) => isAdmin(viewer) || row.ownerId === viewer.id,
      writable: { admin: 'all', fieldworker: ['text', 'ownerId'] },
    },
  });
}

/** The demo registry plus Note, Draft and Catalog. */
export const modesRegistry = createRegistry([
  ...demoEntities,
  ownedEntity('Note', notes, 'NOTHING_PRESERVE'),
  ownedEntity('Draft', drafts, 'NEVER'),
  ownedEntity('Catalog', catalog, 'ONLINE'),
]);

/** The tables of the three entities. */
export const modesDdl = [...ownedDdl('note'), ...ownedDdl('draft'), ...ownedDdl('catalog_item')];

/** One of the three as the device sees it. */
export interface OwnedObject {
  id: string;
  version: number;
  createdAt: string;
  changedAt: string;
  text: string;
  ownerId: string;
}

type OwnedTypes = { object: OwnedObject; values: { text?: string | null; ownerId?: string | null } };

/** The SDK's entity map for this server: the generated demo types plus the three. */
export type ModeEntityTypes = SyncEntityTypes & { Note: OwnedTypes; Draft: OwnedTypes; Catalog: OwnedTypes };

const owned = (get: string, list: string): EntityMetadata => ({
  fields: ['id', 'version', 'createdAt', 'changedAt', 'text', 'ownerId'],
  writable: ['text', 'ownerId'],
  queries: { get, list },
});

/** The runtime metadata of `ModeEntityTypes`. */
export const modeEntityMetadata: EntityMetadataMap<ModeEntityTypes> = {
  ...syncEntityMetadata,
  Note: owned('note', 'notes'),
  Draft: owned('draft', 'drafts'),
  Catalog: owned('catalog', 'catalogs'),
};
