/**
 * The checkpoint a full sync hands the device, opaque on the wire. It carries the PostgreSQL
 * transaction snapshot the download was read in (`pg_current_snapshot()`), which is what an
 * incremental sync needs to never skip a transaction that committed out of order (R18).
 */
export interface Checkpoint {
  v: 1;
  /** `xmin:xmax:xip,...` of the download's snapshot. */
  snapshot: string;
  /** When the download was read; checkpoints older than the tombstone retention expire (R19). */
  issuedAt: string;
}

/** A PostgreSQL snapshot as `pg_current_snapshot()::text` prints it. */
const SNAPSHOT = /^\d+:\d+:[\d,]*$/;

export function encodeCheckpoint(checkpoint: Checkpoint): string {
  return Buffer.from(JSON.stringify(checkpoint)).toString('base64url');
}

/** Decodes a checkpoint; anything malformed is treated like no checkpoint at all. */
export function decodeCheckpoint(value: string | null | undefined): Checkpoint | null {
  if (!value) return null;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<Checkpoint>;
    if (parsed.v !== 1 || typeof parsed.snapshot !== 'string' || !SNAPSHOT.test(parsed.snapshot)) return null;
    if (typeof parsed.issuedAt !== 'string' || Number.isNaN(Date.parse(parsed.issuedAt))) return null;
    return parsed as Checkpoint;
  } catch {
    return null;
  }
}

/** Where a paged download continues (R17): opaque on the wire as `SyncResult.nextPage`. */
export interface DownloadCursor {
  v: 1;
  /** The viewer the download is for; another viewer cannot continue it. */
  viewer: string;
  syncId: string;
  /** The snapshot changes are downloaded since; null for a complete download. */
  since: string | null;
  /** The checkpoint this download ends with. */
  checkpoint: string;
  /** The step (an entity's rows, then the tombstones) and the last key sent in it. */
  step: number;
  after: string | null;
  /** The upload's transaction, whose writes the first page held: the steps skip them (own-writes.ts). */
  uploadTx?: string;
}

export function encodeCursor(cursor: DownloadCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** Decodes a download cursor; null when it is malformed. */
export function decodeCursor(value: string): DownloadCursor | null {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<DownloadCursor>;
    const valid =
      parsed.v === 1 &&
      typeof parsed.viewer === 'string' &&
      typeof parsed.syncId === 'string' &&
      (parsed.since === null || (typeof parsed.since === 'string' && SNAPSHOT.test(parsed.since))) &&
      typeof parsed.checkpoint === 'string' &&
      Number.isInteger(parsed.step) &&
      (parsed.after === null || typeof parsed.after === 'string') &&
      (parsed.uploadTx === undefined || (typeof parsed.uploadTx === 'string' && /^\d+$/.test(parsed.uploadTx)));
    return valid ? (parsed as DownloadCursor) : null;
  } catch {
    return null;
  }
}
