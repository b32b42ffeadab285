import { and, asc, inArray } from 'drizzle-orm';
import { currentSnapshot } from '../db/connect.ts';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel, Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { downloadWhere, readWhere } from './access.ts';
import { encodeCheckpoint } from './checkpoint.ts';
import type { ObjectKey, Row, SyncObjectData } from './types.ts';

/**
 * Stage 3 of a sync: what the device receives, read in one consistent snapshot after the upload
 * committed. Full sync (R14, R15) sends the complete data set of the downloaded entities
 * (`reset`); selective sync (R16) sends the selected objects. Both send the current state of
 * every object the upload affected, or remove it from the device when it is gone or unreadable.
 */

export interface DownloadResult {
  checkpoint: string;
  reset: boolean;
  hasMore: boolean;
  upserted: SyncObjectData[];
  deleted: ObjectKey[];
}

/** Entities whose data full sync keeps on the device. */
export function isDownloaded(model: EntityModel): boolean {
  return model.definition.download.mode === 'ALL' || model.definition.download.mode === 'FILTERED';
}

function groupByEntity(keys: Iterable<ObjectKey>): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const { entity, id } of keys) {
    const ids = groups.get(entity) ?? new Set<string>();
    ids.add(id);
    groups.set(entity, ids);
  }
  return groups;
}

/** The readable rows among `ids`. */
async function readableRows(db: Db, model: EntityModel, viewer: Viewer, ids: string[]): Promise<Row[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(model.table)
    .where(and(inArray(model.table.id, ids), readWhere(model, viewer)))
    .orderBy(asc(model.table.id));
}

export interface DownloadOptions {
  db: Db;
  registry: Registry;
  viewer: Viewer;
  /** Objects the upload affected. */
  affected: readonly ObjectKey[];
  /** The selection of a selective sync; null for a full sync. */
  selection: readonly ObjectKey[] | null;
  /** The checkpoint the device sent (returned unchanged by a selective sync). */
  checkpoint: string | null;
}

/** Computes the download in a read-only, repeatable-read transaction. */
export async function computeDownload(options: DownloadOptions): Promise<DownloadResult> {
  return options.db.transaction((tx) => (options.selection ? selective(tx, options) : full(tx, options)), {
    isolationLevel: 'repeatable read',
    accessMode: 'read only',
  });
}

async function selective(db: Db, { registry, viewer, affected, selection, checkpoint }: DownloadOptions): Promise<DownloadResult> {
  const upserted: SyncObjectData[] = [];
  const deleted: ObjectKey[] = [];
  for (const [entity, idSet] of groupByEntity([...(selection ?? []), ...affected])) {
    const model = registry.get(entity)!;
    const rows = await readableRows(db, model, viewer, [...idSet]);
    const found = new Set(rows.map((r) => r.id as string));
    upserted.push(...rows.map((row) => ({ entity, row })));
    for (const id of idSet) if (!found.has(id)) deleted.push({ entity, id });
  }
  return { checkpoint: checkpoint ?? '', reset: false, hasMore: false, upserted, deleted };
}

async function full(db: Db, { registry, viewer, affected }: DownloadOptions): Promise<DownloadResult> {
  const snapshot = await currentSnapshot(db);
  const upserted: SyncObjectData[] = [];
  const deleted: ObjectKey[] = [];
  const affectedByEntity = groupByEntity(affected);
  for (const model of registry.list) {
    const affectedIds = affectedByEntity.get(model.name) ?? new Set<string>();
    if (isDownloaded(model)) {
      const rows = await db.select().from(model.table).where(downloadWhere(model, viewer)).orderBy(asc(model.table.id));
      upserted.push(...rows.map((row) => ({ entity: model.name, row })));
      const present = new Set(rows.map((r) => r.id as string));
      for (const id of affectedIds) if (!present.has(id)) deleted.push({ entity: model.name, id });
    } else {
      // Not downloaded by full sync: the device only learns which affected objects are gone.
      const present = new Set((await readableRows(db, model, viewer, [...affectedIds])).map((r) => r.id as string));
      for (const id of affectedIds) if (!present.has(id)) deleted.push({ entity: model.name, id });
    }
  }
  const checkpoint = encodeCheckpoint({ v: 1, snapshot, issuedAt: new Date().toISOString() });
  return { checkpoint, reset: true, hasMore: false, upserted, deleted };
}
