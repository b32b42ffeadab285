import { isFrozenData } from '../frozen.ts';

/**
 * The persistence contract of the local database. An adapter stores plain structured-cloneable
 * values in three stores and applies a batch of writes atomically, which is what lets a sync
 * result be applied all-or-nothing (R17). File contents (F1) live in a fourth store, `contents`,
 * keyed by their SHA-256: written in the same atomic batches, but never part of `load()`, so the
 * database keeps only their hashes in memory and reads bytes on demand. Every adapter passes the
 * shared contract suite in `test/sdk/storage-contract.ts`.
 */

/** The stores loaded into memory: objects (by `entity:id`), failure records (by id), metadata (by name). */
export type StoreName = 'objects' | 'failures' | 'meta';

/** Every store name `load()` returns, for adapters that create them. */
export const storeNames: readonly StoreName[] = ['objects', 'failures', 'meta'];

/** The store of file contents: bytes keyed by their SHA-256 in lowercase hex. */
export const CONTENTS_STORE = 'contents';

/** One write of a batch: put a value, or delete a key; file contents are stored as bytes. */
export type StorageWrite =
  | { store: StoreName; key: string; value: unknown }
  | { store: StoreName | typeof CONTENTS_STORE; key: string; delete: true }
  | { store: typeof CONTENTS_STORE; key: string; value: Uint8Array };

/** Everything an adapter holds, but file contents. */
export type StorageSnapshot = Record<StoreName, Map<string, unknown>>;

/** A place the local database persists to. */
export interface StorageAdapter {
  /** Reads everything stored but file contents (the database keeps its working set in memory). */
  load(): Promise<StorageSnapshot>;
  /**
   * Applies the writes in order, atomically: afterwards either all of them are stored or none
   * is (for example when a value cannot be cloned). Values are stored as copies: later changes
   * by the caller do not reach the stored data. A value that cannot change (deeply frozen plain
   * data, as the database writes its objects) may be kept as it is instead of copied.
   */
  write(writes: readonly StorageWrite[]): Promise<void>;
  /** The hashes of the file contents stored. */
  contentKeys(): Promise<string[]>;
  /** The bytes of one file content (a copy), or null when it is not stored. */
  readContent(hash: string): Promise<Uint8Array<ArrayBuffer> | null>;
  /** Removes everything, file contents included. */
  clear(): Promise<void>;
  /** Releases the adapter's resources; the stored data stays. */
  close(): Promise<void>;
}

/** An empty snapshot. */
export function emptySnapshot(): StorageSnapshot {
  return { objects: new Map(), failures: new Map(), meta: new Map() };
}

/** Batches whose `objects` values are records the local database froze as plain data. */
const frozenBatches = new WeakSet<readonly StorageWrite[]>();

/**
 * Marks a batch whose values in the `objects` store the local database froze as plain data
 * (`freezeRecord`): the SDK's adapters keep them as they are, without checking each one, as they
 * would after `isFrozenData`. Not part of the public contract.
 */
export function markFrozenObjects(writes: readonly StorageWrite[]): void {
  frozenBatches.add(writes);
}

/** A write that puts a value. */
export type PutWrite = Exclude<StorageWrite, { delete: true }>;

/**
 * For the SDK's adapters, which store values as copies: whether a put's value of this batch may be
 * kept as it is instead, because nobody can change it. True for the records of a marked batch
 * (see `markFrozenObjects`, no look at each) and for any frozen plain data (`isFrozenData`).
 */
export function storableAsIs(writes: readonly StorageWrite[]): (write: PutWrite) => boolean {
  const marked = frozenBatches.has(writes);
  return (write) => (marked && write.store === 'objects') || isFrozenData(write.value);
}
