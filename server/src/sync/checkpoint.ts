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

export function encodeCheckpoint(checkpoint: Checkpoint): string {
  return Buffer.from(JSON.stringify(checkpoint)).toString('base64url');
}

/** Decodes a checkpoint; anything malformed is treated like no checkpoint at all. */
export function decodeCheckpoint(value: string | null | undefined): Checkpoint | null {
  if (!value) return null;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<Checkpoint>;
    if (parsed.v !== 1 || typeof parsed.snapshot !== 'string' || !/^\d+:\d+:[\d,]*$/.test(parsed.snapshot)) return null;
    if (typeof parsed.issuedAt !== 'string' || Number.isNaN(Date.parse(parsed.issuedAt))) return null;
    return parsed as Checkpoint;
  } catch {
    return null;
  }
}
