/**
 * The persistence contract of the local database. An adapter stores plain structured-cloneable
 * values in three stores and applies a batch of writes atomically, which is what lets a sync
 * result be applied all-or-nothing (R17). Every adapter passes the shared contract suite in
 * `test/sdk/storage-contract.ts`.
 */

/** The stores: objects (by `entity:id`), failure records (by id), metadata (by name). */
export type StoreName = 'objects' | 'failures' | 'meta';

/** Every store name, for adapters that create them. */
export const storeNames: readonly StoreName[] = ['objects', 'failures', 'meta'];

/** One write of a batch: put a value, or delete a key. */
export type StorageWrite =
  | { store: StoreName; key: string; value: unknown }
  | { store: StoreName; key: string; delete: true };

/** Everything an adapter holds. */
export type StorageSnapshot = Record<StoreName, Map<string, unknown>>;

/** A place the local database persists to. */
export interface StorageAdapter {
  /** Reads everything stored (the database keeps its working set in memory). */
  load(): Promise<StorageSnapshot>;
  /**
   * Applies the writes in order, atomically: afterwards either all of them are stored or none
   * is (for example when a value cannot be cloned). Values are stored as copies.
   */
  write(writes: readonly StorageWrite[]): Promise<void>;
  /** Removes everything. */
  clear(): Promise<void>;
  /** Releases the adapter's resources; the stored data stays. */
  close(): Promise<void>;
}

/** An empty snapshot. */
export function emptySnapshot(): StorageSnapshot {
  return { objects: new Map(), failures: new Map(), meta: new Map() };
}
