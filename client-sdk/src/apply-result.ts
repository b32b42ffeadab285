import { decodeChanges, type InFlightSync, type SentChange } from './change-set.ts';
import type { ObjectKey, PendingOp } from './entity-types.ts';
import type { ChangeOutcomeData, StagedDownload } from './download-stage.ts';
import { freezeRecord } from './frozen.ts';
import type { DownloadMode } from './generated/graphql.ts';
import { objectKey, remainingChange, serverState, serverValues, type LocalObject, type ServerState } from './local-object.ts';
import type { FailureRecord, ObjectSource, StoreChanges } from './local-store.ts';
import { dropWrite, setWrite, writtenObject, type ObjectWrites } from './object-writes.ts';

/**
 * Turns a complete sync result into one set of store writes plus the per-object report (R23).
 * It changes nothing but the download it takes over, and reads the device's state as it is when
 * the result arrives, so changes the app made while the sync was in flight stay pending (R22),
 * and uncommitted edits are kept (R2). It looks up the objects the result names and, only for a
 * reset or an ONLINE entity, the objects of those entities: an incremental sync costs what it
 * downloads, not what the device holds.
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
  objects: ObjectSource;
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
  const synced = current.synced;
  const stamp = {
    version: outcome?.version ?? (synced ? synced.version + 1 : 1),
    createdAt: synced?.createdAt ?? at,
    changedAt: at,
  };
  return serverState(current.entity, current.id, stamp, { ...(synced ? serverValues(synced) : {}), ...values });
}

/** True when the iterable yields nothing (without walking it). */
function isEmpty(objects: Iterable<unknown>): boolean {
  return objects[Symbol.iterator]().next().done === true;
}

/** The entities whose download mode is one of `wanted`. */
function entitiesIn(modes: Readonly<Record<string, DownloadMode>>, wanted: readonly DownloadMode[]): string[] {
  return Object.keys(modes).filter((entity) => wanted.includes(modes[entity]!));
}

/**
 * Computes the writes and the report of a complete sync result. The download's staged objects
 * become the writes: `download.upserted` is taken over (changed in place), not copied. Objects are
 * looked up by entity and id; `objectKey`s are made only for what the upload and the removals
 * name, so that a first download builds no key per object.
 */
export function applySyncResult({ objects, inflight, download, modes }: ApplyInput): AppliedSync {
  /** The objects this sync writes (null: removes): the downloaded ones, then what applying adds. */
  const writes: ObjectWrites = download.upserted;
  /** Every record written is frozen plain data: the staged ones, and those made here as they are made. */
  let plain = download.plain;
  const made = (object: LocalObject): LocalObject => {
    if (!freezeRecord(object)) plain = false;
    return object;
  };
  /** The `objectKey`s of objects written that the download did not bring. */
  const added = new Set<string>();
  const written = (object: ObjectKey) => writtenObject(writes, object.entity, object.id);
  const downloaded = (object: ObjectKey) => written(object) !== undefined && (added.size === 0 || !added.has(objectKey(object.entity, object.id)));
  const write = (object: ObjectKey, next: LocalObject | null) => {
    if (written(object) === undefined) added.add(objectKey(object.entity, object.id));
    setWrite(writes, object.entity, object.id, next && made(next));
  };
  const before = (object: ObjectKey) => objects.object(object.entity, object.id) ?? null;
  const get = (object: ObjectKey) => {
    const next = written(object);
    return next !== undefined ? next : before(object);
  };
  const removed: RemovedObject[] = [];
  const remove = (object: ObjectKey, reason: RemovalReason) => {
    if (get(object) === null) return;
    // An object this sync would have added is simply not added.
    if (before(object) === null) dropWrite(writes, object.entity, object.id);
    else write(object, null);
    removed.push({ entity: object.entity, id: object.id, reason });
  };

  const sent = decodeChanges(inflight.input);
  const outcomeByKey = new Map(download.outcomes.map((outcome) => [objectKey(outcome.entity, outcome.id), outcome]));
  const failed = (key: string) => outcomeByKey.get(key)?.status === 'FAILED';

  // A first download of its entities (none on the device, none ONLINE) has nothing to merge.
  const merging = [...writes.keys()].some((entity) => modes[entity] === 'ONLINE' || !isEmpty(objects.objectsOf(entity)));
  for (const [entity, byId] of merging ? writes : []) {
    const online = modes[entity] === 'ONLINE';
    for (const [id, staged] of byId) {
      // Only the downloaded objects are in the map yet.
      const state = (staged as LocalObject).synced;
      const current = objects.object(entity, id) ?? null;
      if (current === null) {
        // R15 ONLINE: read through the server, never stored (a selective sync may still name one).
        if (online) byId.delete(id);
        continue;
      }
      const change = sent.size > 0 ? sent.get(objectKey(entity, id))?.change : undefined;
      byId.set(id, made({ ...current, synced: state, pending: change ? remainingChange(current.pending, change, state) : current.pending }));
    }
  }

  for (const object of download.deleted.values()) remove(object, 'deleted');

  // Uploaded objects the download did not mention: settle their change from the outcome alone.
  for (const [key, change] of sent) {
    const current = get(change);
    if (current === null || downloaded(change)) continue;
    if (failed(key)) {
      write(change, { ...current, pending: remainingChange(current.pending, change.change, current.synced) });
    } else if (change.change.op === 'DELETE') {
      remove(change, 'deleted');
    } else {
      const state = assumedState(current, change, outcomeByKey.get(key), inflight.startedAt);
      write(change, { ...current, synced: state, pending: remainingChange(current.pending, change.change, state) });
    }
  }

  // R15 NOTHING_CLEAR: upload-only objects leave the device once uploaded. ONLINE objects too:
  // the device only holds one when it was made before the SDK learnt the entity's mode.
  for (const change of sent.values()) {
    const current = get(change);
    const mode = modes[change.entity];
    if (current && (mode === 'NOTHING_CLEAR' || mode === 'ONLINE') && current.pending === null && current.draft === null) {
      remove(change, 'cleared');
    }
  }
  for (const entity of entitiesIn(modes, ['ONLINE'])) {
    for (const object of objects.objectsOf(entity)) {
      const current = get(object);
      if (current && current.pending === null && current.draft === null) remove(object, 'cleared');
    }
  }

  // R14 reset: the device's data of downloaded entities becomes the download; pending changes stay.
  // NOTHING_PRESERVE and NEVER objects are the device's own: a reset never touches them.
  if (download.reset && inflight.mode === 'full') {
    for (const entity of entitiesIn(modes, ['ALL', 'FILTERED', 'NOTHING_CLEAR'])) {
      const mode = modes[entity];
      for (const object of objects.objectsOf(entity)) {
        const current = get(object);
        if (!current || downloaded(object) || current.synced === null || current.pending !== null) continue;
        if (mode !== 'NOTHING_CLEAR') remove(object, 'reset');
        else if (current.draft === null) remove(object, 'cleared');
      }
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
    const state = get({ entity, id });
    return { entity, id, op: change.op, status, version: outcome?.version ?? state?.synced?.version ?? null, failure, removed: state === null };
  });

  return {
    changes: {
      objects: writes,
      handOver: true,
      frozenPlain: plain,
      putFailures: download.failures,
      meta: { inflight: null, ...(inflight.mode === 'full' ? { checkpoint: download.checkpoint } : {}) },
    },
    outcomes,
    removed,
  };
}
