import type { FailureReason } from './errors.ts';

/** A row as drizzle selects it, keyed by attribute name. */
export type Row = Record<string, unknown>;

export type ChangeOp = 'CREATE' | 'UPDATE' | 'DELETE';

/** One change of a change set, with the entity named (the wire's `ObjectChange` one-of). */
export interface ChangeInput {
  entity: string;
  id: string;
  op: ChangeOp;
  /** The version the device last received; null for CREATE. */
  baseVersion?: number | null;
  /** CREATE: the values; UPDATE: the changed attributes; DELETE: none. */
  values?: Row | null;
  /** UPDATE: the device's last-synced values of the changed attributes. */
  base?: Row | null;
}

export interface ObjectKey {
  entity: string;
  id: string;
}

/** A `synchronize` call: the change set and, for a selective sync, the selection (R16). */
export interface SyncInput {
  clientId: string;
  syncId: string;
  checkpoint?: string | null;
  changes: readonly ChangeInput[];
  selection?: readonly ObjectKey[] | null;
}

/** A stored failure record (R13). */
export interface FailureRecord {
  id: string;
  entity: string;
  objectId: string;
  reason: FailureReason;
  message: string;
  /** What was sent: `{ op, baseVersion, values, base }`. */
  content: unknown;
  viewerId: string;
  clientId: string;
  syncId: string;
  createdAt: Date;
  resolvedAt: Date | null;
}

/** APPLIED: as sent; MERGED: applied onto a newer server version; FAILED: see the failure. */
export type ChangeStatus = 'APPLIED' | 'MERGED' | 'FAILED';

/** The outcome of one uploaded change, in the order sent (R23). */
export interface ChangeOutcome {
  entity: string;
  id: string;
  status: ChangeStatus;
  /** The object's version after the change; null when it does not exist on the server. */
  version: number | null;
  /** The failure record of this change, if any (also set when only some attributes were denied). */
  failureId: string | null;
}

/** What the upload stage decided; recorded for exactly-once replays (R4). */
export interface UploadOutcome {
  outcomes: ChangeOutcome[];
  failures: FailureRecord[];
  /**
   * Objects whose server state must reach the device: the uploaded ones, cascaded deletes and
   * objects hooks touched. The download sends each one's current state, or removes it from the
   * device when it no longer exists or is not readable (R6, R8).
   */
  affected: ObjectKey[];
}

/** An object to send to the device in its post-commit state. */
export interface SyncObjectData {
  entity: string;
  row: Row;
}

/** A signed URL for a file object's content (F3). */
export interface FileUrlData {
  entity: string;
  id: string;
  contentHash: string;
  size: number;
  url: string;
  expiresAt: Date;
}

/** The result of `synchronize`, before the GraphQL layer maps it (wire: `SyncResult`). */
export interface SyncResultData {
  syncId: string;
  checkpoint: string;
  hasMore: boolean;
  /** The cursor of the next page, when `hasMore`. */
  nextPage: string | null;
  reset: boolean;
  upserted: SyncObjectData[];
  deleted: ObjectKey[];
  files: FileUrlData[];
  failures: FailureRecord[];
  outcomes: ChangeOutcome[];
  replayed: boolean;
}
