import { and, asc, inArray } from 'drizzle-orm';
import { currentSnapshot } from '../db/connect.ts';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel, Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { downloadWhere, readWhere } from './access.ts';
import { changedRows, deletedSince } from './changes-since.ts';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
import type { ObjectKey, Row, SyncObjectData } from './types.ts';

/**
 * Stage 3 of a sync: what the device receives, read in one consistent snapshot after the upload
 * committed. Full sync (R14, R15) sends the downloaded entities' changes since the device's
 * checkpoint, or their complete data set (`reset`) on the first sync or when the checkpoint
 * expired (R19); selective sync (R16) sends the selected objects. Both send the current state of
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
  /** Days deletes are remembered: an older checkpoint gets a complete download. */
  tombstoneDays: number;
}

/** Collects the download, one entry per object, whatever found it. */
class DownloadBuilder {
  private readonly upserts = new Map<string, SyncObjectData>();
  private readonly deletes = new Map<string, ObjectKey>();
  upsert(entity: string, row: Row): void {
    const key = `${entity}:${row.id as string}`;
    this.deletes.delete(key);
    this.upserts.set(key, { entity, row });
  }
  remove(entity: string, id: string): void {
    const key = `${entity}:${id}`;
    if (!this.upserts.has(key)) this.deletes.set(key, { entity, id });
  }
  result(checkpoint: string, reset: boolean): DownloadResult {
    return { checkpoint, reset, hasMore: false, upserted: [...this.upserts.values()], deleted: [...this.deletes.values()] };
  }
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

/**
 * Sends each object's current state when the viewer may see it, else removes it from the device.
 * In a full sync, objects of entities full sync does not download are only ever removed.
 */
async function refresh(db: Db, registry: Registry, viewer: Viewer, keys: Iterable<ObjectKey>, out: DownloadBuilder, full: boolean) {
  for (const [entity, idSet] of groupByEntity(keys)) {
    const model = registry.get(entity)!;
    const where = full && isDownloaded(model) ? downloadWhere(model, viewer) : readWhere(model, viewer);
    const rows = await db.select().from(model.table).where(and(inArray(model.table.id, [...idSet]), where)).orderBy(asc(model.table.id));
    const found = new Set<string>();
    for (const row of rows) {
      found.add(row.id as string);
      if (!full || isDownloaded(model)) out.upsert(entity, row);
    }
    for (const id of idSet) if (!found.has(id)) out.remove(entity, id);
  }
}

/** Computes the download in a read-only, repeatable-read transaction: one consistent snapshot. */
export async function computeDownload(options: DownloadOptions): Promise<DownloadResult> {
  return options.db.transaction((tx) => (options.selection ? selective(tx, options) : full(tx, options)), {
    isolationLevel: 'repeatable read',
    accessMode: 'read only',
  });
}

async function selective(db: Db, { registry, viewer, affected, selection, checkpoint }: DownloadOptions): Promise<DownloadResult> {
  const out = new DownloadBuilder();
  await refresh(db, registry, viewer, [...(selection ?? []), ...affected], out, false);
  return out.result(checkpoint ?? '', false);
}

async function full(db: Db, options: DownloadOptions): Promise<DownloadResult> {
  const { registry, viewer, affected } = options;
  const snapshot = await currentSnapshot(db);
  const issuedAt = new Date();
  const previous = decodeCheckpoint(options.checkpoint);
  const oldest = issuedAt.getTime() - options.tombstoneDays * 24 * 60 * 60 * 1000;
  const since = previous && Date.parse(previous.issuedAt) > oldest ? previous.snapshot : null;
  const downloaded = registry.list.filter(isDownloaded);
  const out = new DownloadBuilder();
  if (since) {
    for (const model of downloaded) {
      for (const { row, visible } of await changedRows(db, model, viewer, since, registry)) {
        if (visible) out.upsert(model.name, row);
        else out.remove(model.name, row.id as string);
      }
    }
    for (const key of await deletedSince(db, downloaded.map((m) => m.name), since)) out.remove(key.entity, key.id);
  } else {
    for (const model of downloaded) {
      const rows = await db.select().from(model.table).where(downloadWhere(model, viewer)).orderBy(asc(model.table.id));
      for (const row of rows) out.upsert(model.name, row);
    }
  }
  await refresh(db, registry, viewer, affected, out, true);
  return out.result(encodeCheckpoint({ v: 1, snapshot, issuedAt: issuedAt.toISOString() }), since === null);
}
