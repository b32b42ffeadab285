import type { InFlightSync } from './change-set.ts';
import { ContentIndex } from './content-index.ts';
import type { AttributeValues, ObjectKey } from './entity-types.ts';
import { DatabaseClosedError } from './errors.ts';
import { contentHashesOf } from './file-content.ts';
import { deepFreeze, freezeRecord, isFrozenData } from './frozen.ts';
import type { DownloadMode, SynchronizationFailureFieldsFragment } from './generated/graphql.ts';
import { objectKey, parseObjectKey, serverState, type LocalObject, type ServerStamp } from './local-object.ts';
import { setWrite, writeCount, type ObjectWrites } from './object-writes.ts';
import { CONTENTS_STORE, markFrozenObjects, type StorageAdapter, type StorageWrite } from './storage/storage-adapter.ts';

/**
 * The device's working set in memory, persisted through a storage adapter. Every change goes
 * through `transact`, which runs one at a time: compute from the current state, persist the
 * resulting writes atomically, then make them visible and notify subscribers. So memory only
 * ever shows persisted state, and a sync result and an app edit can never interleave. The store
 * keeps indexes (objects per entity, pending changes, file content references) so that a sync
 * costs what it touches, not what the device holds.
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
  /** Objects to put (their new record) or remove (null), by entity and id. */
  objects?: ObjectWrites;
  /**
   * The caller hands `objects` over and never uses its maps again: the map of an entity the
   * device has no objects of yet (a first download) that removes nothing, the store keeps as that
   * entity's index instead of copying it entry by entry.
   */
  handOver?: boolean;
  /**
   * Every record in `objects` is frozen already, and `freezeRecord` (or `freezeAround`) said it
   * is plain data: the store need not walk the records again.
   */
  frozenPlain?: boolean;
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
  /** The objects that were written or removed, entity by entity (listed when first read). */
  readonly objects: readonly ObjectKey[];
  /** True when failure records changed. */
  failures: boolean;
}

export type StoreListener = (event: StoreEvent) => void;

/** What a subscriber of one entity is told: the ids of its objects that were written or removed. */
export type EntityListener = (event: { source: ChangeSource; ids: readonly string[] }) => void;

/** Read access to the objects on the device, without copying them all. */
export interface ObjectSource {
  /** The object, if on the device. */
  object(entity: string, id: string): LocalObject | undefined;
  /** The objects of one entity, in insertion order. */
  objectsOf(entity: string): Iterable<LocalObject>;
  /** The objects with a committed change waiting for upload, in the order they got it. */
  pendingObjects(): Iterable<LocalObject>;
}

/**
 * 2: an object's server state is the server's object as received (`__typename`, system fields
 * and attributes side by side); 1 kept the attributes apart, in `values`.
 */
export const STORAGE_FORMAT = 2;

/** A server state as format 1 stored it. */
interface Format1State extends ServerStamp {
  values: AttributeValues;
}

/** The record as this format keeps it, or null when it already is. */
function upgraded(object: LocalObject): LocalObject | null {
  const synced: unknown = object.synced;
  if (synced === null || typeof synced !== 'object' || '__typename' in synced) return null;
  const old = synced as Format1State;
  return { ...object, synced: serverState(object.entity, object.id, old, old.values) };
}

type Subscription = { entity: null; listener: StoreListener } | { entity: string; listener: EntityListener };

export class LocalStore implements ObjectSource {
  /** Per entity, its objects by id. */
  private readonly objects = new Map<string, Map<string, LocalObject>>();
  /** The objects with a pending change, by `objectKey`. */
  private readonly pending = new Map<string, LocalObject>();
  private readonly failureRecords = new Map<string, FailureRecord>();
  private readonly metadata = new Map<string, unknown>();
  /** The stored file contents (their bytes stay in storage until read) and who refers to them. */
  private readonly contents = new ContentIndex();
  private readonly subscriptions = new Set<Subscription>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly storage: StorageAdapter,
    private readonly inMemoryOnly: boolean,
  ) {}

  /**
   * Loads everything the adapter holds, upgrading records of an older format. `inMemoryOnly`:
   * objects, failure records and metadata live in memory only and the adapter gets file contents
   * alone (`contentWrites`): for a database that nothing will open again, a second copy of every
   * record would only double the memory and the work of every write.
   */
  static async open(storage: StorageAdapter, { inMemoryOnly = false }: { inMemoryOnly?: boolean } = {}): Promise<LocalStore> {
    const store = new LocalStore(storage, inMemoryOnly);
    const snapshot = await storage.load();
    const upgrades: ObjectWrites = new Map();
    for (const hash of await storage.contentKeys()) store.contents.contentStored(hash);
    for (const value of snapshot.objects.values()) {
      const stored = value as LocalObject;
      const object = upgraded(stored);
      if (object) setWrite(upgrades, object.entity, object.id, object);
      store.putInMemory(stored.entity, stored.id, deepFreeze(object ?? stored));
    }
    for (const [key, value] of snapshot.failures) store.failureRecords.set(key, value as FailureRecord);
    for (const [key, value] of snapshot.meta) store.metadata.set(key, value);
    const format = store.meta('format');
    if (upgrades.size > 0 || (format !== undefined && format < STORAGE_FORMAT)) {
      await store.transact('local', () => ({ changes: { objects: upgrades, meta: { format: STORAGE_FORMAT } }, result: undefined }));
    }
    return store;
  }

  object(entity: string, id: string): LocalObject | undefined {
    return this.objects.get(entity)?.get(id);
  }

  objectsOf(entity: string): Iterable<LocalObject> {
    return this.objects.get(entity)?.values() ?? [];
  }

  pendingObjects(): Iterable<LocalObject> {
    return this.pending.values();
  }

  /** All objects, or those of one entity, in insertion order (per entity). */
  allObjects(entity?: string): LocalObject[] {
    if (entity !== undefined) return [...this.objectsOf(entity)];
    return [...this.objects.values()].flatMap((objects) => [...objects.values()]);
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

  /** The bytes of a stored content, or null. */
  async readContent(hash: string): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.closed) throw new DatabaseClosedError();
    return this.contents.has(hash) ? this.storage.readContent(hash) : null;
  }

  /**
   * The stored contents that no object will refer to once `objects` are written (an upload in
   * flight or a failure record may still need them: the caller's to check). Costs what is written.
   */
  contentsFreedBy(objects: ObjectWrites): Set<string> {
    if (!this.contents.storesAny()) return new Set();
    const delta = new Map<string, number>();
    const count = (hashes: readonly string[], by: number) => {
      for (const hash of hashes) delta.set(hash, (delta.get(hash) ?? 0) + by);
    };
    for (const [entity, byId] of objects) {
      for (const [id, next] of byId) {
        count(contentHashesOf(this.object(entity, id)), -1);
        count(contentHashesOf(next), 1);
      }
    }
    return this.contents.unreferencedAfter(delta);
  }

  /** The contents objects refer to that are not stored, each with those objects. */
  *missingContents(): IterableIterator<{ hash: string; objects: LocalObject[] }> {
    for (const [hash, keys] of this.contents.missingContents()) {
      const objects = [...keys].flatMap((key) => {
        const { entity, id } = parseObjectKey(key);
        return this.object(entity, id) ?? [];
      });
      yield { hash, objects };
    }
  }

  meta<K extends keyof StoreMeta>(name: K): StoreMeta[K] | undefined {
    return this.metadata.get(name) as StoreMeta[K] | undefined;
  }

  /**
   * Runs `compute` against the current state once every earlier transaction is done, persists
   * its changes in one atomic write, then applies them to memory and notifies subscribers. When
   * the write fails, nothing changes and the error is thrown. The objects written are frozen.
   */
  transact<T>(source: ChangeSource, compute: () => { changes: StoreChanges; result: T }): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new DatabaseClosedError();
      const { changes, result } = compute();
      const plain = changes.frozenPlain === true || freezeAll(changes.objects);
      // Unstored records are still checked, so that an app behaves as it will with a persistent adapter.
      if (this.inMemoryOnly && !plain) checkCloneable(changes.objects);
      const writes = this.inMemoryOnly ? contentWrites(changes) : toWrites(changes, this.metadata);
      // Frozen plain data is as good as a copy: the adapter need not check each record again.
      if (plain) markFrozenObjects(writes);
      // A transaction that stores nothing new (an idle sync's bookkeeping) costs no storage write.
      if (writes.length > 0) await this.storage.write(writes);
      const adopted = this.applyInMemory(changes);
      this.notify(source, changes, adopted);
      return result;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Calls `listener` after every transaction that changed objects or failure records. */
  subscribe(listener: StoreListener): () => void {
    const subscription: Subscription = { entity: null, listener };
    this.subscriptions.add(subscription);
    return () => this.subscriptions.delete(subscription);
  }

  /** Calls `listener` after every transaction that changed objects of `entity`. */
  subscribeEntity(entity: string, listener: EntityListener): () => void {
    const subscription: Subscription = { entity, listener };
    this.subscriptions.add(subscription);
    return () => this.subscriptions.delete(subscription);
  }

  /** Waits for pending transactions, then releases the adapter. */
  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    this.subscriptions.clear();
    await this.storage.close();
  }

  /** Puts (or removes: null) one object in memory and keeps the indexes up to date. */
  private putInMemory(entity: string, id: string, next: LocalObject | null): void {
    let objects = this.objects.get(entity);
    // The previous record matters to the indexes only when it may have been pending or referred to contents.
    const previous = this.pending.size > 0 || this.contents.hasReferences() ? objects?.get(id) : undefined;
    if (next !== null) {
      if (!objects) this.objects.set(entity, (objects = new Map()));
      objects.set(id, next);
    } else objects?.delete(id);
    if (next?.pending) this.pending.set(objectKey(entity, id), next);
    else if (previous?.pending) this.pending.delete(objectKey(entity, id));
    this.contents.objectChanged(entity, id, previous, next);
  }

  /**
   * Keeps `written`, the writes of one entity of which the device has no objects, as that
   * entity's index when it removes nothing, updating the other indexes; false (nothing done)
   * otherwise.
   */
  private adopt(entity: string, written: Map<string, LocalObject | null>): boolean {
    if ((this.objects.get(entity)?.size ?? 0) > 0) return false;
    /** The records the other indexes hear of: those with local changes or content (downloads: photos only). */
    const indexed: LocalObject[] = [];
    for (const object of written.values()) {
      if (object === null) return false;
      if (object.pending !== null || object.draft !== null || contentHashesOf(object).length > 0) indexed.push(object);
    }
    this.objects.set(entity, written as Map<string, LocalObject>);
    for (const object of indexed) {
      if (object.pending) this.pending.set(objectKey(entity, object.id), object);
      this.contents.objectChanged(entity, object.id, undefined, object);
    }
    return true;
  }

  /** Applies the changes to memory; returns the entities whose written map was adopted as their index. */
  private applyInMemory(changes: StoreChanges): ReadonlySet<string> {
    const adopted = new Set<string>();
    for (const [entity, written] of changes.objects ?? []) {
      if (changes.handOver === true && this.adopt(entity, written)) adopted.add(entity);
      else for (const [id, object] of written) this.putInMemory(entity, id, object);
    }
    for (const id of changes.removeFailures ?? []) this.failureRecords.delete(id);
    for (const failure of changes.putFailures ?? []) this.failureRecords.set(failure.id, failure);
    for (const hash of changes.removeContents ?? []) this.contents.contentRemoved(hash);
    for (const { hash } of changes.putContents ?? []) this.contents.contentStored(hash);
    for (const [name, value] of Object.entries(changes.meta ?? {})) {
      if (value === null) this.metadata.delete(name);
      else if (value !== undefined) this.metadata.set(name, value);
    }
    return adopted;
  }

  /**
   * Tells subscribers; lists of keys and ids are built only for those who listen. The maps of
   * `adopted` entities are now indexes that later transactions change, so their ids are listed now.
   */
  private notify(source: ChangeSource, changes: StoreChanges, adopted: ReadonlySet<string>): void {
    const written: ObjectWrites = changes.objects ?? new Map();
    const failures = (changes.putFailures?.length ?? 0) + (changes.removeFailures?.length ?? 0) > 0;
    if ((writeCount(written) === 0 && !failures) || this.subscriptions.size === 0) return;
    const idsByEntity = new Map<string, string[]>();
    for (const entity of adopted) idsByEntity.set(entity, [...written.get(entity)!.keys()]);
    const idsOf = (entity: string): string[] => {
      let ids = idsByEntity.get(entity);
      if (!ids) idsByEntity.set(entity, (ids = [...(written.get(entity)?.keys() ?? [])]));
      return ids;
    };
    let keys: ObjectKey[] | null = null;
    const objectKeys = () => (keys ??= [...written.keys()].flatMap((entity) => idsOf(entity).map((id) => ({ entity, id }))));
    const event: StoreEvent = {
      source,
      get objects() {
        return objectKeys();
      },
      failures,
    };
    for (const subscription of [...this.subscriptions]) {
      // A failing listener must not break the database or the other listeners.
      try {
        if (subscription.entity === null) subscription.listener(event);
        else {
          const ids = idsOf(subscription.entity);
          if (ids.length > 0) subscription.listener({ source, ids });
        }
      } catch (error) {
        console.error('offline-sync: a change listener threw', error);
      }
    }
  }
}

/** Freezes every record (see `freezeRecord`); true when all of them are plain data. */
function freezeAll(objects: ObjectWrites | undefined): boolean {
  let plain = true;
  for (const byId of objects?.values() ?? []) for (const object of byId.values()) if (!freezeRecord(object)) plain = false;
  return plain;
}

/**
 * Throws as a storage adapter's write would (`DataCloneError`) when a record holds something
 * structured cloning cannot copy; records that are frozen plain data need no look.
 */
function checkCloneable(objects: ObjectWrites | undefined): void {
  for (const byId of objects?.values() ?? []) for (const object of byId.values()) if (!isFrozenData(object)) structuredClone(object);
}

/** The storage writes of a transaction's file contents. */
function contentWrites(changes: StoreChanges): StorageWrite[] {
  const writes: StorageWrite[] = [];
  for (const hash of changes.removeContents ?? []) writes.push({ store: CONTENTS_STORE, key: hash, delete: true });
  for (const { hash, bytes } of changes.putContents ?? []) writes.push({ store: CONTENTS_STORE, key: hash, value: bytes });
  return writes;
}

/** The storage writes of a transaction; metadata it sets to what is stored already is left out. */
function toWrites(changes: StoreChanges, metadata: ReadonlyMap<string, unknown>): StorageWrite[] {
  const writes: StorageWrite[] = [];
  for (const [entity, byId] of changes.objects ?? []) {
    for (const [id, object] of byId) {
      const key = objectKey(entity, id);
      writes.push(object === null ? { store: 'objects', key, delete: true } : { store: 'objects', key, value: object });
    }
  }
  for (const id of changes.removeFailures ?? []) writes.push({ store: 'failures', key: id, delete: true });
  for (const failure of changes.putFailures ?? []) writes.push({ store: 'failures', key: failure.id, value: failure });
  writes.push(...contentWrites(changes));
  for (const [name, value] of Object.entries(changes.meta ?? {})) {
    if (value === null ? !metadata.has(name) : value === undefined || value === metadata.get(name)) continue;
    writes.push(value === null ? { store: 'meta', key: name, delete: true } : { store: 'meta', key: name, value });
  }
  return writes;
}
