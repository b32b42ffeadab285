import type { ObjectKey } from './entity-types.ts';
import type { ServerState } from './local-object.ts';
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
  complete: boolean;
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

/** Stages a page; the first page starts the stage. Later pages add objects and move the checkpoint. */
export function stagePage(stage: StagedDownload | null, page: SyncResultData): StagedDownload {
  const upserted = page.upserted.map(toDownloaded);
  if (stage === null) {
    return {
      syncId: page.syncId,
      checkpoint: page.checkpoint,
      reset: page.reset,
      replayed: page.replayed,
      complete: !page.hasMore,
      upserted,
      deleted: page.deleted.map(({ entity, id }) => ({ entity, id })),
      files: [...page.files],
      failures: [...page.failures],
      outcomes: [...page.outcomes],
    };
  }
  return {
    ...stage,
    checkpoint: page.checkpoint,
    complete: !page.hasMore,
    upserted: [...stage.upserted, ...upserted],
    deleted: [...stage.deleted, ...page.deleted.map(({ entity, id }) => ({ entity, id }))],
    files: [...stage.files, ...page.files],
  };
}
