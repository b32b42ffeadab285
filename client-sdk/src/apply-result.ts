import { decodeChanges, type InFlightSync, type SentChange } from './change-set.ts';
import type { ObjectKey, PendingOp } from './entity-types.ts';
import type { ChangeOutcomeData, StagedDownload } from './download-stage.ts';
import type { DownloadMode } from './generated/graphql.ts';
import { objectKey, remainingChange, type LocalObject, type ServerState } from './local-object.ts';
import type { FailureRecord, StoreChanges } from './local-store.ts';

/**
 * Turns a complete sync result into one set of store writes plus the per-object report (R23).
 * Pure: it reads the device's state as it is when the result arrives, so changes the app made
 * while the sync was in flight stay pending (R22), and uncommitted edits are kept (R2).
 */

/** What happened to one uploaded change. */
export interface ObjectOutcome {
  entity: string;
  id: string;
  op: PendingOp;
  /** `applied` as sent, `merged` with concurrent server changes, or `failed` (see `failure`). */
  status: 'applied' | 'merged' | 'failed';
  /** The server version after the sync, when known. */
  version: number | null;
  /** The failure record, when the change (or part of it, e.g. a denied attribute) failed. */
  failure: FailureRecord | null;
  /** The object was removed from the device (deleted, access lost, failed create). */
  removed: boolean;
}

/**
 * Why an object left the device: `deleted` by the server's instruction (deleted, no longer
 * readable, failed create, or a delete that was applied); `reset` because a full download no
 * longer contains it; `cleared` because its entity is upload-only (NOTHING_CLEAR) or not kept on
 * the device (ONLINE).
 */
export type RemovalReason = 'deleted' | 'reset' | 'cleared';

export interface RemovedObject extends ObjectKey {
  reason: RemovalReason;
}

/** The input of `applySyncResult`. */
export interface ApplyInput {
  /** The objects on the device now. */
  objects: readonly LocalObject[];
  inflight: InFlightSync;
  download: StagedDownload;
  /** Per entity, its download mode. */
  modes: Readonly<Record<string, DownloadMode>>;
}

export interface AppliedSync {
  changes: StoreChanges;
  outcomes: ObjectOutcome[];
  removed: RemovedObject[];
}

const statusOf = { APPLIED: 'applied', MERGED: 'merged', FAILED: 'failed' } as const;

/** The server state after an applied change the download did not include. */
function assumedState(current: LocalObject, sent: SentChange, outcome: ChangeOutcomeData | undefined, at: string): ServerState {
  const values = sent.change.op === 'DELETE' ? {} : sent.change.values;
  return {
    version: outcome?.version ?? (current.synced ? current.synced.version + 1 : 1),
    createdAt: current.synced?.createdAt ?? at,
    changedAt: at,
    values: { ...(current.synced?.values ?? {}), ...values },
  };
}

/** Computes the writes and the report of a complete sync result. */
export function applySyncResult({ objects, inflight, download, modes }: ApplyInput): AppliedSync {
  const before = new Map(objects.map((object) => [objectKey(object.entity, object.id), object]));
  const after = new Map<string, LocalObject | null>();
  const get = (key: string) => (after.has(key) ? after.get(key) : before.get(key)) ?? null;
  const removed: RemovedObject[] = [];
  const remove = (key: string, object: ObjectKey, reason: RemovalReason) => {
    if (get(key) === null) return;
    after.set(key, null);
    removed.push({ entity: object.entity, id: object.id, reason });
  };

  const sent = decodeChanges(inflight.input);
  const outcomeByKey = new Map(download.outcomes.map((outcome) => [objectKey(outcome.entity, outcome.id), outcome]));
  const failed = (key: string) => outcomeByKey.get(key)?.status === 'FAILED';

  const downloaded = new Set<string>();
  for (const { entity, id, state } of download.upserted) {
    const key = objectKey(entity, id);
    const current = get(key);
    // R15 ONLINE: read through the server, never stored (a selective sync may still name one).
    if (current === null && modes[entity] === 'ONLINE') continue;
    const change = sent.get(key)?.change;
    downloaded.add(key);
    after.set(
      key,
      current === null
        ? { entity, id, synced: state, pending: null, draft: null }
        : { ...current, synced: state, pending: change ? remainingChange(current.pending, change, state) : current.pending },
    );
  }

  for (const key of download.deleted) remove(objectKey(key.entity, key.id), key, 'deleted');

  // Uploaded objects the download did not mention: settle their change from the outcome alone.
  for (const [key, change] of sent) {
    const current = get(key);
    if (current === null || downloaded.has(key)) continue;
    if (failed(key)) {
      after.set(key, { ...current, pending: remainingChange(current.pending, change.change, current.synced) });
    } else if (change.change.op === 'DELETE') {
      remove(key, change, 'deleted');
    } else {
      const state = assumedState(current, change, outcomeByKey.get(key), inflight.startedAt);
      after.set(key, { ...current, synced: state, pending: remainingChange(current.pending, change.change, state) });
    }
  }

  // R15 NOTHING_CLEAR: upload-only objects leave the device once uploaded. ONLINE objects too:
  // the device only holds one when it was made before the SDK learnt the entity's mode.
  for (const [key, change] of sent) {
    const current = get(key);
    const mode = modes[change.entity];
    if (current && (mode === 'NOTHING_CLEAR' || mode === 'ONLINE') && current.pending === null && current.draft === null) {
      remove(key, change, 'cleared');
    }
  }
  for (const [key, object] of before) {
    const current = get(key);
    if (current && modes[object.entity] === 'ONLINE' && current.pending === null && current.draft === null) remove(key, object, 'cleared');
  }

  // R14 reset: the device's data of downloaded entities becomes the download; pending changes stay.
  // NOTHING_PRESERVE and NEVER objects are the device's own: a reset never touches them.
  if (download.reset && inflight.mode === 'full') {
    for (const [key, object] of before) {
      const mode = modes[object.entity];
      const current = get(key);
      if (!current || downloaded.has(key) || current.synced === null || current.pending !== null) continue;
      if (mode === 'ALL' || mode === 'FILTERED') remove(key, object, 'reset');
      else if (mode === 'NOTHING_CLEAR' && current.draft === null) remove(key, object, 'cleared');
    }
  }

  const failureById = new Map(download.failures.map((failure) => [failure.id, failure]));
  const outcomes: ObjectOutcome[] = [...sent].map(([key, { entity, id, change }]) => {
    const outcome = outcomeByKey.get(key);
    const failure =
      (outcome?.failureId ? failureById.get(outcome.failureId) : undefined) ??
      download.failures.find((f) => f.entity === entity && f.objectId === id) ??
      null;
    const status = outcome ? statusOf[outcome.status] : failure ? 'failed' : 'applied';
    const state = get(key);
    return { entity, id, op: change.op, status, version: outcome?.version ?? state?.synced?.version ?? null, failure, removed: state === null };
  });

  const putObjects: LocalObject[] = [];
  const removeObjects: ObjectKey[] = [];
  for (const [key, object] of after) {
    if (object) putObjects.push(object);
    else {
      const gone = before.get(key);
      if (gone) removeObjects.push({ entity: gone.entity, id: gone.id });
    }
  }
  return {
    changes: {
      putObjects,
      removeObjects,
      putFailures: download.failures,
      meta: { inflight: null, ...(inflight.mode === 'full' ? { checkpoint: download.checkpoint } : {}) },
    },
    outcomes,
    removed,
  };
}
