import type { AttributeValue, AttributeValues, EntityMetadata, ObjectKey, ObjectStatus, PendingOp } from './entity-types.ts';
import { InvalidChangeError } from './errors.ts';
import { deepFreeze, freezeAround } from './frozen.ts';

/**
 * One object on the device and its change tracking, as pure functions over plain (persistable)
 * records. Modelled on Mendix: an object has its last-synced server state, committed changes that
 * wait for upload, and uncommitted edits that only the app sees until it commits them (R2).
 * Records are deeply frozen once the store keeps them: every change makes a new record, and
 * unchanged parts (above all the server state) are shared, never copied.
 */

/**
 * The object as the server last sent it: a `SyncObject` with its `__typename`, the system fields
 * and every attribute (server-only and calculated ones included), kept as it arrived. Read an
 * attribute as `state[name]`: attribute names never clash with the system fields.
 */
export interface ServerState {
  readonly __typename: string;
  readonly id: string;
  readonly version: number;
  readonly createdAt: string;
  readonly changedAt: string;
  readonly [field: string]: AttributeValue | undefined;
}

/** The fields of a server state that are not attributes. */
const SERVER_FIELDS: ReadonlySet<string> = new Set(['__typename', 'id', 'version', 'createdAt', 'changedAt']);

/** The system fields of a server state. */
export interface ServerStamp {
  version: number;
  createdAt: string;
  changedAt: string;
}

/** A server state of an object, frozen. */
export function serverState(entity: string, id: string, stamp: ServerStamp, values: AttributeValues): ServerState {
  const { version, createdAt, changedAt } = stamp;
  return deepFreeze({ ...values, __typename: entity, id, version, createdAt, changedAt });
}

/** The attribute values of a server state, without its system fields (a new object). */
export function serverValues(state: ServerState): AttributeValues {
  const values: AttributeValues = {};
  for (const name in state) {
    if (!SERVER_FIELDS.has(name)) values[name] = state[name] ?? null;
  }
  return values;
}

/** A committed change that waits for upload. UPDATE keeps R5's base values of what it changed. */
export type PendingChange =
  | { op: 'CREATE'; values: AttributeValues }
  | { op: 'UPDATE'; values: AttributeValues; base: AttributeValues }
  | { op: 'DELETE' };

/** The persisted record of one object. */
export interface LocalObject {
  readonly entity: string;
  readonly id: string;
  /** Last-synced server state; null when the server has never sent this object. */
  readonly synced: ServerState | null;
  /** Committed change waiting for upload (R2: only this is uploaded). */
  readonly pending: PendingChange | null;
  /** Uncommitted edits; for a new object never committed, all of its values. */
  readonly draft: AttributeValues | null;
}

/** The storage key of an object. */
export function objectKey(entity: string, id: string): string {
  return `${entity}:${id}`;
}

/** The entity and id of a storage key (entity names are GraphQL names: they have no colon). */
export function parseObjectKey(key: string): ObjectKey {
  const colon = key.indexOf(':');
  return { entity: key.slice(0, colon), id: key.slice(colon + 1) };
}

/**
 * The record of an object as the server sent it, with no local changes. The state is kept, not
 * copied: it is frozen in place, so the caller must not change it afterwards.
 */
export function syncedObject(state: ServerState): LocalObject {
  const record = syncedRecord(state);
  // Frozen around its state, so that the record tells whether the state is plain data (`freezeRecord`).
  freezeAround(record, state);
  return record;
}

/**
 * `syncedObject` before it is frozen: the caller freezes it with `freezeAround(record, state)`,
 * which tells whether the record is plain data.
 */
export function syncedRecord(state: ServerState): LocalObject {
  return { entity: state.__typename, id: state.id, synced: state, pending: null, draft: null };
}

/** Structural equality of attribute values (scalars, and JSON for `JSON` attributes). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Rejects attributes the device may not write (typos, server-only or calculated attributes). */
export function checkWritable(entity: string, metadata: EntityMetadata, values: object): AttributeValues {
  const checked: AttributeValues = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (!metadata.writable.includes(name)) {
      throw new InvalidChangeError(`${entity}.${name} is not an attribute the device may write`);
    }
    // Copied, so that the app changing its object later does not change the device's data.
    checked[name] = typeof value === 'object' && value !== null ? (structuredClone(value) as AttributeValue) : (value as AttributeValue);
  }
  return checked;
}

/** A new object, not committed yet. */
export function createObject(entity: string, id: string, values: AttributeValues): LocalObject {
  return { entity, id, synced: null, pending: null, draft: { ...values } };
}

/** True for an object created on the device and never committed. */
export function isNewObject(object: LocalObject): boolean {
  return object.synced === null && object.pending === null;
}

/** True when the app should no longer see the object (deleted locally, waiting for upload). */
export function isDeleted(object: LocalObject): boolean {
  return object.pending?.op === 'DELETE';
}

/** The committed values: server state plus committed changes. */
export function committedValues(object: LocalObject): AttributeValues {
  const pending = object.pending;
  const changed = pending && pending.op !== 'DELETE' ? pending.values : {};
  return { ...(object.synced ? serverValues(object.synced) : {}), ...changed };
}

/** What the app sees: committed values plus uncommitted edits. */
export function currentValues(object: LocalObject): AttributeValues {
  return { ...committedValues(object), ...(object.draft ?? {}) };
}

/** Records uncommitted edits. */
export function editObject(object: LocalObject, values: AttributeValues): LocalObject {
  return { ...object, draft: { ...(object.draft ?? {}), ...values } };
}

/** Discards uncommitted edits; a new object that was never committed disappears (null). */
export function rollbackObject(object: LocalObject): LocalObject | null {
  return isNewObject(object) ? null : { ...object, draft: null };
}

/**
 * Commits the uncommitted edits. An UPDATE keeps only attributes that differ from the server
 * state, each with the base value the device last synced (R5); edits back to the synced value
 * cancel the change of that attribute.
 */
export function commitObject(object: LocalObject): LocalObject {
  const draft = object.draft;
  if (draft === null) return object;
  const pending = object.pending;
  if (object.synced === null) {
    const values = pending && pending.op === 'CREATE' ? { ...pending.values, ...draft } : { ...draft };
    return { ...object, pending: { op: 'CREATE', values }, draft: null };
  }
  if (pending?.op === 'DELETE') return { ...object, draft: null };
  const values: AttributeValues = { ...(pending?.values ?? {}) };
  const base: AttributeValues = { ...(pending?.op === 'UPDATE' ? pending.base : {}) };
  for (const [name, value] of Object.entries(draft)) {
    const synced = object.synced[name] ?? null;
    if (sameValue(value, synced)) {
      delete values[name];
      delete base[name];
    } else {
      values[name] = value;
      if (!(name in base)) base[name] = synced;
    }
  }
  const next: PendingChange | null = Object.keys(values).length > 0 ? { op: 'UPDATE', values, base } : null;
  return { ...object, pending: next, draft: null };
}

/**
 * Deletes the object (a committed delete, as in Mendix). An object the server has never seen
 * simply disappears (null), unless its CREATE is already on the way to the server: then the
 * delete must follow it (R22).
 */
export function deleteObject(object: LocalObject, createInFlight: boolean): LocalObject | null {
  if (object.synced === null && !createInFlight) return null;
  return { ...object, pending: { op: 'DELETE' }, draft: null };
}

/** The change-tracking status the app reads. */
export function objectStatus(object: LocalObject): ObjectStatus {
  const pending = object.pending;
  const changedAttributes = pending && pending.op !== 'DELETE' ? Object.keys(pending.values) : [];
  const uncommittedAttributes = Object.keys(object.draft ?? {});
  const isNew = isNewObject(object);
  return {
    isNew,
    fromServer: object.synced !== null,
    pending: isNew ? null : ((pending?.op ?? null) as PendingOp | null),
    baseVersion: object.synced?.version ?? null,
    changedAttributes,
    uncommittedAttributes: isNew ? [] : uncommittedAttributes,
    hasUncommittedChanges: isNew || uncommittedAttributes.length > 0,
  };
}

/**
 * What stays pending after a sync uploaded `sent` while the app kept working (R22): whatever was
 * committed after the upload was built. `server` is the object's state after the sync, if known.
 */
export function remainingChange(current: PendingChange | null, sent: PendingChange, server: ServerState | null): PendingChange | null {
  if (current === null) return null;
  if (current.op === 'DELETE') return sent.op === 'DELETE' ? null : current;
  if (sent.op === 'DELETE') return null;
  const values: AttributeValues = {};
  const base: AttributeValues = {};
  const previousBase = current.op === 'UPDATE' ? current.base : {};
  for (const [name, value] of Object.entries(current.values)) {
    const wasSent = name in sent.values;
    if (wasSent && sameValue(sent.values[name], value)) continue;
    values[name] = value;
    // An attribute sent and changed again compares against what the server now has.
    base[name] = (wasSent ? server?.[name] : previousBase[name]) ?? server?.[name] ?? null;
  }
  if (Object.keys(values).length === 0) return null;
  if (server === null && current.op === 'CREATE') return { op: 'CREATE', values: current.values };
  return { op: 'UPDATE', values, base };
}
