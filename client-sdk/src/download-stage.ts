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
  upserted: DownloadedObject[];
  deleted: ObjectKey[];
  files: FileUrlData[];
  failures: FailureRecord[];
  outcomes: ChangeOutcomeData[];
}

function toDownloaded(object: SyncResultData['upserted'][number]): DownloadedObject {
  const { __typename: entity, id, version, createdAt, changedAt, ...values } = object;
  return { entity, id, state: { version, createdAt, changedAt, values } };
}

/**
 * Stages a page; the first page starts the stage. A later page's objects replace what earlier
 * pages said about the same objects: later pages are read later, so they hold the newer state.
 * Upload outcomes and failure records come with the first page only.
 */
export function stagePage(stage: StagedDownload | null, page: SyncResultData): StagedDownload {
  const upserted = page.upserted.map(toDownloaded);
  const deleted = page.deleted.map(({ entity, id }) => ({ entity, id }));
  if (stage === null) {
    return {
      syncId: page.syncId,
      checkpoint: page.checkpoint,
      reset: page.reset,
      replayed: page.replayed,
      complete: !page.hasMore,
      nextPage: page.nextPage,
      upserted,
      deleted,
      files: [...page.files],
      failures: [...page.failures],
      outcomes: [...page.outcomes],
    };
  }
  const fresh = new Set([...upserted, ...deleted].map(({ entity, id }) => objectKey(entity, id)));
  const older = <T extends ObjectKey>(list: readonly T[]) => list.filter(({ entity, id }) => !fresh.has(objectKey(entity, id)));
  return {
    ...stage,
    checkpoint: page.checkpoint,
    complete: !page.hasMore,
    nextPage: page.nextPage,
    upserted: [...older(stage.upserted), ...upserted],
    deleted: [...older(stage.deleted), ...deleted],
    files: [...stage.files.filter((file) => !fresh.has(objectKey(file.entity, file.id))), ...page.files],
  };
}
