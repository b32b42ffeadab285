import type { ObjectKey } from './entity-types.ts';
import type { ChangeSet, DownloadMode, ObjectChange, ObjectRef, SyncEntity } from './generated/graphql.ts';
import { isNewObject, objectKey, type LocalObject, type PendingChange } from './local-object.ts';
import type { ObjectSource } from './local-store.ts';

/**
 * The outbox: which committed changes a sync uploads and which objects it asks for, per mode
 * (R2, R16), in the wire form of `ChangeSet`. Pure functions; the synchronizer persists the
 * result as the in-flight sync before sending it (R21).
 */

/**
 * - `full`: every pending change (but NEVER entities'), then the download of every entity per
 *   its download mode.
 * - `selected`: the pending changes of the given objects, then exactly those objects (R16).
 * - `unsynchronized`: every pending change (but NEVER entities'), deletes included, then only
 *   those objects.
 */
export type SyncMode = 'full' | 'selected' | 'unsynchronized';

/** What the app asks `synchronize()` for. */
export interface SyncRequest {
  mode: SyncMode;
  /** `selected` mode: the objects to synchronize. */
  objects?: readonly ObjectKey[];
}

/** An upload that was sent and not yet answered; persisted so that it is resent identically. */
export interface InFlightSync {
  syncId: string;
  mode: SyncMode;
  /** Exactly what was sent as `input`. */
  input: ChangeSet;
  /** Exactly what was sent as `selection` (null: full sync). */
  selection: ObjectRef[] | null;
  /** When the upload was first sent (ISO-8601). */
  startedAt: string;
}

/** What a sync will send. */
export interface ChangeSetPlan {
  changes: ObjectChange[];
  /** null for a full sync. */
  selection: ObjectRef[] | null;
  /** Selected objects left out because they were never committed (R2: no error). */
  skipped: ObjectKey[];
}

/** One uploaded change, decoded from the wire form. */
export interface SentChange {
  entity: string;
  id: string;
  change: PendingChange;
}

/** The wire form of an object's pending change. */
export function toObjectChange(object: LocalObject): ObjectChange | null {
  const pending = object.pending;
  if (pending === null) return null;
  const baseVersion = object.synced?.version ?? null;
  const change =
    pending.op === 'CREATE'
      ? { id: object.id, op: pending.op, baseVersion: null, values: pending.values }
      : pending.op === 'UPDATE'
        ? { id: object.id, op: pending.op, baseVersion, values: pending.values, base: pending.base }
        : { id: object.id, op: pending.op, baseVersion };
  // The entity name picks the @oneOf member; the record's entity is a SyncEntity by construction.
  return { [object.entity]: change } as unknown as ObjectChange;
}

/** Decodes the changes of a change set, keyed by `objectKey`. */
export function decodeChanges(input: ChangeSet): Map<string, SentChange> {
  const sent = new Map<string, SentChange>();
  for (const wire of input.changes) {
    for (const [entity, change] of Object.entries(wire)) {
      if (!change) continue;
      const values = (change.values ?? {}) as Record<string, never>;
      const pending: PendingChange =
        change.op === 'CREATE'
          ? { op: 'CREATE', values }
          : change.op === 'UPDATE'
            ? { op: 'UPDATE', values, base: (change.base ?? {}) as Record<string, never> }
            : { op: 'DELETE' };
      sent.set(objectKey(entity, change.id), { entity, id: change.id, change: pending });
    }
  }
  return sent;
}

/**
 * R15 NEVER: device-only objects are never uploaded by full or "unsynchronized" sync; only a
 * selective sync that names them does (R16: modes do not apply to selected objects).
 */
function uploadable(object: LocalObject, modes: Readonly<Record<string, DownloadMode>>): boolean {
  return object.pending !== null && modes[object.entity] !== 'NEVER';
}

/** Plans the upload and the selection of a sync from the objects on the device. */
export function planChangeSet(objects: ObjectSource, request: SyncRequest, modes: Readonly<Record<string, DownloadMode>>): ChangeSetPlan {
  if (request.mode !== 'selected') {
    const changed = [...objects.pendingObjects()].filter((object) => uploadable(object, modes));
    return {
      changes: changed.map(toObjectChange).filter((change) => change !== null),
      selection: request.mode === 'full' ? null : changed.map(({ entity, id }) => ({ entity: entity as SyncEntity, id })),
      skipped: [],
    };
  }
  const changes: ObjectChange[] = [];
  const selection: ObjectRef[] = [];
  const skipped: ObjectKey[] = [];
  const seen = new Set<string>();
  for (const { entity, id } of request.objects ?? []) {
    const key = objectKey(entity, id);
    if (seen.has(key)) continue;
    seen.add(key);
    const object = objects.object(entity, id);
    if (object && isNewObject(object)) {
      skipped.push({ entity, id });
      continue;
    }
    const change = object ? toObjectChange(object) : null;
    if (change) changes.push(change);
    selection.push({ entity: entity as SyncEntity, id });
  }
  return { changes, selection, skipped };
}
