import type { ObjectKey } from './entity-types.ts';
import { objectKey, type ServerState } from './local-object.ts';
import type { FailureRecord } from './local-store.ts';
import type { SyncResultData } from './transport.ts';

/**
 * A download staged in memory until it is complete. A paged download (`hasMore`) collects all
 * of its pages here and is applied at once, so a failure midway leaves the device unchanged (R17).
 */

/** One downloaded object, as the device stores it. */
export interface DownloadedObject {
  entity: string;
  id: string;
  state: ServerState;
}

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
  /** Filled when `complete`. */
  upserted: DownloadedObject[];
  /** Filled when `complete`. */
  deleted: ObjectKey[];
  /** Filled when `complete`. */
  files: FileUrlData[];
  failures: FailureRecord[];
  outcomes: ChangeOutcomeData[];
}

function toDownloaded(object: SyncResultData['upserted'][number]): DownloadedObject {
  const { __typename: entity, id, version, createdAt, changedAt, ...values } = object;
  return { entity, id, state: { version, createdAt, changedAt, values } };
}

/** The objects of a download being staged, by key; a Map keeps arrival order and re-inserting moves a key last. */
interface Staging {
  upserts: Map<string, DownloadedObject>;
  deletes: Map<string, ObjectKey>;
  files: Map<string, FileUrlData>;
}

/** The staging behind each incomplete stage: pages are merged in O(page), not O(all so far). */
const stagings = new WeakMap<StagedDownload, Staging>();

/**
 * Stages a page; the first page starts the stage. A later page's objects replace what earlier
 * pages said about the same objects: later pages are read later, so they hold the newer state.
 * Upload outcomes and failure records come with the first page only. The lists of a stage are
 * filled once its last page is in; until then `stagedObjects` counts what is staged.
 */
export function stagePage(stage: StagedDownload | null, page: SyncResultData): StagedDownload {
  const staging: Staging = (stage && stagings.get(stage)) ?? { upserts: new Map(), deletes: new Map(), files: new Map() };
  for (const object of page.upserted) {
    const key = objectKey(object.__typename, object.id);
    staging.deletes.delete(key);
    staging.upserts.delete(key);
    staging.upserts.set(key, toDownloaded(object));
  }
  for (const { entity, id } of page.deleted) {
    const key = objectKey(entity, id);
    staging.upserts.delete(key);
    staging.files.delete(key);
    staging.deletes.delete(key);
    staging.deletes.set(key, { entity, id });
  }
  for (const file of page.files) {
    const key = objectKey(file.entity, file.id);
    staging.files.delete(key);
    staging.files.set(key, file);
  }
  const complete = !page.hasMore;
  const next: StagedDownload = {
    syncId: stage?.syncId ?? page.syncId,
    checkpoint: page.checkpoint,
    reset: stage?.reset ?? page.reset,
    replayed: stage?.replayed ?? page.replayed,
    complete,
    nextPage: page.nextPage,
    stagedObjects: staging.upserts.size + staging.deletes.size,
    upserted: complete ? [...staging.upserts.values()] : [],
    deleted: complete ? [...staging.deletes.values()] : [],
    files: complete ? [...staging.files.values()] : [],
    failures: stage?.failures ?? [...page.failures],
    outcomes: stage?.outcomes ?? [...page.outcomes],
  };
  if (!complete) stagings.set(next, staging);
  return next;
}
