import { and, gt } from 'drizzle-orm';
import { currentSnapshot } from '../db/connect.ts';
import { syncTombstones } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel, Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { downloadWhere, readWhere } from './access.ts';
import { changedRows, deletedSince, probeChanges } from './changes-since.ts';
import { decodeCheckpoint, decodeCursor, encodeCheckpoint, encodeCursor, type DownloadCursor } from './checkpoint.ts';
import { addChangedRows, addDeletedObjects, DownloadBuilder, groupByEntity, type DownloadResult } from './download-builder.ts';
import { SyncRequestError } from './errors.ts';
import { addOwnWrites, notWrittenBy } from './own-writes.ts';
import { selectRows } from './row-select.ts';
import type { ObjectKey } from './types.ts';

export type { DownloadResult } from './download-builder.ts';

/**
 * Stage 3 of a sync: what the device receives, read after the upload committed. Full sync (R14,
 * R15) sends the downloaded entities' changes since the device's checkpoint, or their complete
 * data set (`reset`) on the first sync or when the checkpoint expired (R19), in pages of a bounded
 * number of objects (R17); selective sync (R16) sends the selected objects. Both send the current
 * state of every object the upload affected, or remove it from the device when it is gone or
 * unreadable.
 */

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
  /** Most objects in one page of a full download (R17). */
  pageSizes: PageSizes;
  /** The upload's syncId, carried by the download cursor. */
  syncId: string;
  /**
   * The transaction that applied the upload in this sync (`pg_current_xact_id()`); null when
   * nothing was applied (no changes, a replay). What it wrote is all in the first page.
   */
  uploadTx: string | null;
  onRowsRead?: RowsReadObserver;
}

/** Told how many rows each paged download query read. */
export type RowsReadObserver = (count: number) => void;

/**
 * Most objects in one page of a full download (R17). A complete download (`reset`) has larger
 * pages: it always holds the viewer's whole data set, so fewer, larger requests cut its fixed
 * costs, while memory stays bounded by the page.
 */
export interface PageSizes {
  incremental: number;
  reset: number;
}

function pageSizeOf(cursor: DownloadCursor, sizes: PageSizes): number {
  return cursor.since === null ? sizes.reset : sizes.incremental;
}

/**
 * In a full sync, whether the device keeps its uploaded objects of this entity and so must get
 * their post-commit state (R8): not for NOTHING_CLEAR (cleared), NEVER (never uploaded by full
 * sync) and ONLINE (never kept).
 */
function keepsUploads(model: EntityModel): boolean {
  return isDownloaded(model) || model.definition.download.mode === 'NOTHING_PRESERVE';
}

/**
 * Sends each object's current state when the viewer may see it, else removes it from the device.
 * In a full sync, objects of entities whose uploads the device does not keep are only removed.
 */
async function refresh(db: Db, registry: Registry, viewer: Viewer, groups: Map<string, Set<string>>, out: DownloadBuilder, full: boolean) {
  for (const [entity, idSet] of groups) {
    const model = registry.get(entity)!;
    const where = full && isDownloaded(model) ? downloadWhere(model, viewer) : readWhere(model, viewer);
    const rows = await selectRows(db, model.table, { ids: idSet, where, orderById: true });
    const found = new Set<string>();
    for (const row of rows) {
      found.add(row.id as string);
      if (!full || keepsUploads(model)) out.upsert(entity, row);
    }
    for (const id of idSet) if (!found.has(id)) out.remove(entity, id);
  }
}

/**
 * Computes the first page of the download in one snapshot: a single statement's, when one
 * statement answers (the selection of one entity; an incremental sync with nothing to download),
 * else a read-only, repeatable-read transaction's.
 */
export async function computeDownload(options: DownloadOptions): Promise<DownloadResult> {
  if (options.selection) return selective(options);
  const issuedAt = new Date();
  const since = changesSince(options.checkpoint, issuedAt, options.tombstoneDays);
  if (since !== null && options.affected.length === 0) {
    const probe = await probeChanges(options.db, options.registry.list.filter(isDownloaded), since, options.registry);
    if (!probe.changed) return new DownloadBuilder().result(newCheckpoint(probe.snapshot, issuedAt), false, null);
  }
  return readOnly(options.db, (tx) => firstFullPage(tx, options, since, issuedAt));
}

/** The snapshot an incremental download starts from; null (a complete download) without a live checkpoint (R19). */
function changesSince(checkpoint: string | null, now: Date, tombstoneDays: number): string | null {
  const previous = decodeCheckpoint(checkpoint);
  const oldest = now.getTime() - tombstoneDays * 24 * 60 * 60 * 1000;
  return previous && Date.parse(previous.issuedAt) > oldest ? previous.snapshot : null;
}

function newCheckpoint(snapshot: string, issuedAt: Date): string {
  return encodeCheckpoint({ v: 1, snapshot, issuedAt: issuedAt.toISOString() });
}

function readOnly<T>(db: Db, run: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(run, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

/** The selected objects (and the uploaded ones): one query per entity, a transaction only for several. */
async function selective({ db, registry, viewer, affected, selection, checkpoint }: DownloadOptions): Promise<DownloadResult> {
  const out = new DownloadBuilder();
  const groups = groupByEntity([...(selection ?? []), ...affected]);
  const read = (reader: Db) => refresh(reader, registry, viewer, groups, out, false);
  await (groups.size > 1 ? readOnly(db, read) : read(db));
  return out.result(checkpoint ?? '', false, null);
}

async function firstFullPage(db: Db, options: DownloadOptions, since: string | null, issuedAt: Date): Promise<DownloadResult> {
  const { registry, viewer, affected, uploadTx } = options;
  const snapshot = await currentSnapshot(db);
  const cursor: DownloadCursor = {
    v: 1,
    viewer: viewer.id,
    syncId: options.syncId,
    since,
    checkpoint: newCheckpoint(snapshot, issuedAt),
    step: 0,
    after: null,
  };
  const pageSize = pageSizeOf(cursor, options.pageSizes);
  const out = new DownloadBuilder();
  // The upload's objects come first; they are bounded by the change-set limit.
  await refresh(db, registry, viewer, groupByEntity(affected), out, true);
  const models = registry.list.filter(isDownloaded);
  if (uploadTx && (await addOwnWrites(db, { registry, viewer, models, since, uploadTx, limit: pageSize }, out))) cursor.uploadTx = uploadTx;
  return fillPage(db, registry, viewer, cursor, pageSize, out, options.onRowsRead);
}

/**
 * A later page of a full download (R17), read from the current state. Reading later pages after
 * the checkpoint's snapshot is safe: what changed since then is either in a page not yet read,
 * or is downloaded again by the next sync, which starts from that snapshot.
 */
export async function continueDownload(
  db: Db,
  registry: Registry,
  viewer: Viewer,
  token: string,
  pageSizes: PageSizes,
  onRowsRead?: RowsReadObserver,
): Promise<DownloadResult> {
  const cursor = decodeCursor(token);
  if (!cursor) throw new SyncRequestError('BAD_REQUEST', 'The download cursor is malformed');
  if (cursor.viewer !== viewer.id) throw new SyncRequestError('FORBIDDEN', 'This download belongs to another user');
  return readOnly(db, (tx) => fillPage(tx, registry, viewer, cursor, pageSizeOf(cursor, pageSizes), new DownloadBuilder(), onRowsRead));
}

/** The steps of a full download: each downloaded entity's rows, then (incremental) the deletes. */
function steps(registry: Registry, since: string | null): (EntityModel | 'tombstones')[] {
  const entities: (EntityModel | 'tombstones')[] = registry.list.filter(isDownloaded);
  return since ? [...entities, 'tombstones'] : entities;
}

/** Reads steps from the cursor on until the page holds `pageSize` objects; never more rows. */
async function fillPage(
  db: Db,
  registry: Registry,
  viewer: Viewer,
  cursor: DownloadCursor,
  pageSize: number,
  out: DownloadBuilder,
  onRowsRead: RowsReadObserver = () => {},
) {
  const plan = steps(registry, cursor.since);
  const downloaded = registry.list.filter(isDownloaded).map((m) => m.name);
  let { step, after } = cursor;
  for (; step < plan.length; step++, after = null) {
    // A full page still reads one row of each step left, until one has any: a page that ends
    // the download says so, instead of sending the device after an empty one.
    const room = Math.max(0, pageSize - out.size);
    const window = { after, limit: room + 1 };
    const current = plan[step]!;
    let keys: string[];
    if (current === 'tombstones') {
      const deleted = await deletedSince(db, downloaded, cursor.since!, window, notWrittenBy(syncTombstones.tx, cursor.uploadTx));
      await addDeletedObjects(db, { registry, viewer, since: cursor.since! }, deleted.slice(0, room), out);
      keys = deleted.map((k) => `${k.entity}:${k.id}`);
    } else if (cursor.since) {
      const changed = await changedRows(db, current, viewer, cursor.since, registry, window, { where: notWrittenBy(current.table.changedTx, cursor.uploadTx) });
      await addChangedRows(db, { registry, viewer, since: cursor.since }, current, changed.slice(0, room), out);
      keys = changed.map((c) => c.row.id as string);
    } else {
      const table = current.table;
      const rows = await selectRows(db, table, {
        where: and(downloadWhere(current, viewer), after ? gt(table.id, after) : undefined, notWrittenBy(table.changedTx, cursor.uploadTx)),
        orderById: true,
        limit: room + 1,
      });
      rows.slice(0, room).forEach((row) => out.upsert(current.name, row));
      keys = rows.map((r) => r.id as string);
    }
    onRowsRead(keys.length);
    if (keys.length > room) {
      return out.result(cursor.checkpoint, cursor.since === null, encodeCursor({ ...cursor, step, after: room > 0 ? keys[room - 1]! : after }));
    }
  }
  return out.result(cursor.checkpoint, cursor.since === null, null);
}
