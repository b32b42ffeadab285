import type { ObjectKey } from './entity-types.ts';
import { freezeAround } from './frozen.ts';
import { objectKey, syncedRecord, type LocalObject } from './local-object.ts';
import type { FailureRecord } from './local-store.ts';
import { writeCount, type ObjectWrites } from './object-writes.ts';
import type { SyncResultData } from './transport.ts';

/**
 * A download staged in memory until it is complete. A paged download (`hasMore`) collects all
 * of its pages here and is applied at once, so a failure midway leaves the device unchanged (R17).
 * Downloaded objects are staged once, in the shape the device stores them: the server's object
 * itself, frozen, is the record's server state (no copy per object).
 */

export type ChangeOutcomeData = SyncResultData['outcomes'][number];
export type FileUrlData = SyncResultData['files'][number];

/** Everything a sync downloaded, all pages together. */
export interface StagedDownload {
  syncId: string;
  checkpoint: string;
  reset: boolean;
  replayed: boolean;
  /** All pages are staged; otherwise `nextPage` is the cursor of the next one. */
  complete: boolean;
  nextPage: string | null;
  /** Objects staged so far (upserts and deletes). */
  stagedObjects: number;
  /**
   * Filled when `complete`: the downloaded objects by entity and id, as records with no local
   * changes. `applySyncResult` takes the maps over as the sync's writes (count them before). An
   * entity's map may be empty when later pages deleted what earlier ones brought.
   */
  upserted: ObjectWrites<LocalObject>;
  /** Every record in `upserted` is frozen plain data (`freezeRecord` would say so of each). */
  plain: boolean;
  /** Filled when `complete`: the objects to remove, by `objectKey`. */
  deleted: ReadonlyMap<string, ObjectKey>;
  /** Filled when `complete`. */
  files: FileUrlData[];
  failures: FailureRecord[];
  outcomes: ChangeOutcomeData[];
}

/**
 * The objects of a download being staged: upserts by entity and id, deletes and files by
 * `objectKey` (few). A Map keeps arrival order, and re-inserting moves a key last.
 */
interface Staging {
  upserts: ObjectWrites<LocalObject>;
  plain: boolean;
  deletes: Map<string, ObjectKey>;
  files: Map<string, FileUrlData>;
}

/** The staging behind each incomplete stage: pages are merged in O(page), not O(all so far). */
const stagings = new WeakMap<StagedDownload, Staging>();


/**
 * Stages a page; the first page starts the stage. A later page's objects replace what earlier
 * pages said about the same objects: later pages are read later, so they hold the newer state.
 * Upload outcomes and failure records come with the first page only. The maps of a stage are
 * filled once its last page is in; until then `stagedObjects` counts what is staged. The page's
 * objects are kept and frozen, not copied.
 */
export function stagePage(stage: StagedDownload | null, page: SyncResultData): StagedDownload {
  const staging: Staging = (stage && stagings.get(stage)) ?? { upserts: new Map(), plain: true, deletes: new Map(), files: new Map() };
  const { upserts, deletes, files } = staging;
  // Only a later page can repeat what is staged (the first one is merged into nothing).
  const merging = upserts.size + deletes.size > 0;
  let entity: string | null = null;
  let byId = new Map<string, LocalObject>();
  for (const object of page.upserted) {
    // Pages list objects entity by entity: the entity's map is looked up only when it changes.
    if (object.__typename !== entity) {
      entity = object.__typename;
      const staged = upserts.get(entity);
      if (staged) byId = staged;
      else upserts.set(entity, (byId = new Map()));
    }
    if (merging) {
      byId.delete(object.id);
      if (deletes.size > 0) deletes.delete(objectKey(entity, object.id));
    }
    const record = syncedRecord(object);
    if (!freezeAround(record, object)) staging.plain = false;
    byId.set(object.id, record);
  }
  for (const { entity, id } of page.deleted) {
    const key = objectKey(entity, id);
    upserts.get(entity)?.delete(id);
    files.delete(key);
    deletes.delete(key);
    deletes.set(key, { entity, id });
  }
  for (const file of page.files) {
    const key = objectKey(file.entity, file.id);
    files.delete(key);
    files.set(key, file);
  }
  const complete = !page.hasMore;
  const next: StagedDownload = {
    syncId: stage?.syncId ?? page.syncId,
    checkpoint: page.checkpoint,
    reset: stage?.reset ?? page.reset,
    replayed: stage?.replayed ?? page.replayed,
    complete,
    nextPage: page.nextPage,
    stagedObjects: writeCount(upserts) + deletes.size,
    upserted: complete ? upserts : new Map(),
    plain: staging.plain,
    deleted: complete ? deletes : new Map(),
    files: complete ? [...files.values()] : [],
    failures: stage?.failures ?? [...page.failures],
    outcomes: stage?.outcomes ?? [...page.outcomes],
  };
  if (!complete) stagings.set(next, staging);
  return next;
}
