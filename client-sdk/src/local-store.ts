import type { InFlightSync } from './change-set.ts';
import type { ObjectKey } from './entity-types.ts';
import { DatabaseClosedError } from './errors.ts';
import type { DownloadMode, SynchronizationFailureFieldsFragment } from './generated/graphql.ts';
import { objectKey, type LocalObject } from './local-object.ts';
import { CONTENTS_STORE, type StorageAdapter, type StorageWrite } from './storage/storage-adapter.ts';

/**
 * The device's working set in memory, persisted through a storage adapter. Every change goes
 * through `transact`, which runs one at a time: compute from the current state, persist the
 * resulting writes atomically, then make them visible and notify subscribers. So memory only
 * ever shows persisted state, and a sync result and an app edit can never interleave.
 */

/** A failure record as the server reported it (R13), including the content that was sent. */
export type FailureRecord = SynchronizationFailureFieldsFragment;

/** Metadata the database persists beside the objects. */
export interface StoreMeta {
  /** Storage layout version, for future migrations. */
  format: number;
  /** One per device installation (the `clientId` of every change set). */
  clientId: string;
  /** The checkpoint of the last full sync. */
  checkpoint: string;
  /** R21: the upload sent but not yet answered, resent identically by the next sync. */
  inflight: InFlightSync;
  /** R15: each entity's download mode, as the server last reported it. */
  modes: Readonly<Record<string, DownloadMode>>;
  /** F2: hashes of stored contents the server is known to have, so they are not uploaded again. */
  uploadedContents: readonly string[];
}

/** File content to store, by its SHA-256. */
export interface ContentWrite {
  hash: string;
  bytes: Uint8Array;
}

/** The writes of one transaction. */
export interface StoreChanges {
  putObjects?: readonly LocalObject[];
  removeObjects?: readonly ObjectKey[];
  putFailures?: readonly FailureRecord[];
  removeFailures?: readonly string[];
  putContents?: readonly ContentWrite[];
  /** Hashes of file contents to remove. */
  removeContents?: readonly string[];
  /** Metadata to set; `null` removes the entry. */
  meta?: { [K in keyof StoreMeta]?: StoreMeta[K] | null };
}

/** Who made a change: the app through the local API, or a sync applying its result. */
export type ChangeSource = 'local' | 'sync';

/** What subscribers are told after a transaction. */
export interface StoreEvent {
  source: ChangeSource;
  /** The objects that were written or removed. */
  objects: readonly ObjectKey[];
  /** True when failure records changed. */
  failures: boolean;
}

export type StoreListener = (event: StoreEvent) => void;

export const STORAGE_FORMAT = 1;

export class LocalStore {
  private readonly objects = new Map<string, LocalObject>();
  private readonly failureRecords = new Map<string, FailureRecord>();
  private readonly metadata = new Map<string, unknown>();
  /** The hashes of the stored file contents; their bytes stay in storage until read. */
  private readonly contents = new Set<string>();
  private readonly listeners = new Set<StoreListener>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly storage: StorageAdapter) {}

  /** Loads everything the adapter holds. */
  static async open(storage: StorageAdapter): Promise<LocalStore> {
    const store = new LocalStore(storage);
    const snapshot = await storage.load();
    for (const [key, value] of snapshot.objects) store.objects.set(key, value as LocalObject);
    for (const [key, value] of snapshot.failures) store.failureRecords.set(key, value as FailureRecord);
    for (const [key, value] of snapshot.meta) store.metadata.set(key, value);
    for (const hash of await storage.contentKeys()) store.contents.add(hash);
    return store;
  }

  object(entity: string, id: string): LocalObject | undefined {
    return this.objects.get(objectKey(entity, id));
  }

  /** All objects, or those of one entity, in insertion order. */
  allObjects(entity?: string): LocalObject[] {
    const all = [...this.objects.values()];
    return entity === undefined ? all : all.filter((object) => object.entity === entity);
  }

  failure(id: string): FailureRecord | undefined {
    return this.failureRecords.get(id);
  }

  allFailures(): FailureRecord[] {
    return [...this.failureRecords.values()];
  }

  /** True when the content with this SHA-256 is stored on the device. */
  hasContent(hash: string): boolean {
    return this.contents.has(hash);
  }

  /** The hashes of every stored content. */
  contentHashes(): string[] {
    return [...this.contents];
  }

  /** The bytes of a stored content, or null. */
  async readContent(hash: string): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.closed) throw new DatabaseClosedError();
    return this.contents.has(hash) ? this.storage.readContent(hash) : null;
  }

  meta<K extends keyof StoreMeta>(name: K): StoreMeta[K] | undefined {
    return this.metadata.get(name) as StoreMeta[K] | undefined;
  }

  /**
   * Runs `compute` against the current state once every earlier transaction is done, persists
   * its changes in one atomic write, then applies them to memory and notifies subscribers. When
   * the write fails, nothing changes and the error is thrown.
   */
  transact<T>(source: ChangeSource, compute: () => { changes: StoreChanges; result: T }): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new DatabaseClosedError();
      const { changes, result } = compute();
      await this.storage.write(toWrites(changes));
      this.applyInMemory(changes);
      this.notify(source, changes);
      return result;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for pending transactions, then releases the adapter. */
  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    this.listeners.clear();
    await this.storage.close();
  }

  private applyInMemory(changes: StoreChanges): void {
    for (const { entity, id } of changes.removeObjects ?? []) this.objects.delete(objectKey(entity, id));
    for (const object of changes.putObjects ?? []) this.objects.set(objectKey(object.entity, object.id), object);
    for (const id of changes.removeFailures ?? []) this.failureRecords.delete(id);
    for (const failure of changes.putFailures ?? []) this.failureRecords.set(failure.id, failure);
    for (const hash of changes.removeContents ?? []) this.contents.delete(hash);
    for (const { hash } of changes.putContents ?? []) this.contents.add(hash);
    for (const [name, value] of Object.entries(changes.meta ?? {})) {
      if (value === null) this.metadata.delete(name);
      else if (value !== undefined) this.metadata.set(name, value);
    }
  }

  private notify(source: ChangeSource, changes: StoreChanges): void {
    const objects = [
      ...(changes.removeObjects ?? []),
      ...(changes.putObjects ?? []).map(({ entity, id }) => ({ entity, id })),
    ];
    const failures = (changes.putFailures?.length ?? 0) + (changes.removeFailures?.length ?? 0) > 0;
    if (objects.length === 0 && !failures) return;
    for (const listener of [...this.listeners]) {
      // A failing listener must not break the database or the other listeners.
      try {
        listener({ source, objects, failures });
      } catch (error) {
        console.error('offline-sync: a change listener threw', error);
      }
    }
  }
}

function toWrites(changes: StoreChanges): StorageWrite[] {
  const writes: StorageWrite[] = [];
  for (const { entity, id } of changes.removeObjects ?? []) {
    writes.push({ store: 'objects', key: objectKey(entity, id), delete: true });
  }
  for (const object of changes.putObjects ?? []) {
    writes.push({ store: 'objects', key: objectKey(object.entity, object.id), value: object });
  }
  for (const id of changes.removeFailures ?? []) writes.push({ store: 'failures', key: id, delete: true });
  for (const failure of changes.putFailures ?? []) writes.push({ store: 'failures', key: failure.id, value: failure });
  for (const hash of changes.removeContents ?? []) writes.push({ store: CONTENTS_STORE, key: hash, delete: true });
  for (const { hash, bytes } of changes.putContents ?? []) writes.push({ store: CONTENTS_STORE, key: hash, value: bytes });
  for (const [name, value] of Object.entries(changes.meta ?? {})) {
    if (value === null) writes.push({ store: 'meta', key: name, delete: true });
    else if (value !== undefined) writes.push({ store: 'meta', key: name, value });
  }
  return writes;
}
