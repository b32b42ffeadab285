import type { SyncRequest } from './change-set.ts';
import { createContentTransport, type ContentTransport, type ContentTransportOptions } from './content-transport.ts';
import { EntityCollection } from './entity-collection.ts';
import type { EntityMetadata, EntityMetadataMap, EntityName, EntityTypeMap, ObjectKey } from './entity-types.ts';
import { randomId, systemClock, type Clock, type IdGenerator } from './environment.ts';
import { InvalidChangeError } from './errors.ts';
import { FailureRecords } from './failures.ts';
import type { DownloadMode } from './generated/graphql.ts';
import { LocalStore, STORAGE_FORMAT, type StoreListener } from './local-store.ts';
import { OnlineCollection } from './online-collection.ts';
import { createMemoryStorage } from './storage/memory-storage.ts';
import type { StorageAdapter } from './storage/storage-adapter.ts';
import { SyncStatusEmitter, type SyncStatus, type SyncStatusListener } from './sync-status.ts';
import { Synchronizer, type SyncReport } from './synchronizer.ts';
import { createTransport, type Transport } from './transport.ts';

/**
 * The local database on the device: typed entity collections, `synchronize()`, failure records,
 * sync status and change subscriptions, over a storage adapter.
 */

/** Everything the database can be configured with. */
export interface SyncDatabaseOptions extends ContentTransportOptions {
  /** Where data persists; default none: the database holds everything in memory only, once (lost when it closes). */
  storage?: StorageAdapter;
  /** Makes object ids, the client id and sync ids; default `crypto.randomUUID`. */
  generateId?: IdGenerator;
  clock?: Clock;
  /** Replaces the network transport (tests, custom protocols). */
  transport?: Transport;
  /** Replaces the file content transport (`/files`, signed URLs). */
  contentTransport?: ContentTransport;
}

/** Which objects `synchronize()` uploads and downloads (R16). */
export type SynchronizeOptions<M extends EntityTypeMap> =
  | { mode?: 'full' }
  | { mode: 'selected'; objects: readonly ObjectKey<EntityName<M>>[] }
  | { mode: 'unsynchronized' };

export class SyncDatabase<M extends EntityTypeMap> {
  /** Failure records received from the server, with the content that was sent. */
  readonly failures: FailureRecords;
  private readonly collections = new Map<string, EntityCollection<M, EntityName<M>>>();
  private readonly onlineCollections = new Map<string, OnlineCollection<M, EntityName<M>>>();
  private readonly status = new SyncStatusEmitter();
  private readonly synchronizer: Synchronizer;

  constructor(
    private readonly store: LocalStore,
    private readonly metadata: EntityMetadataMap<M>,
    private readonly transport: Transport,
    contents: ContentTransport,
    private readonly environment: { clock: Clock; generateId: IdGenerator },
  ) {
    this.failures = new FailureRecords(store, transport);
    this.synchronizer = new Synchronizer({ store, transport, contents, status: this.status, ...environment });
  }

  /** This installation's id, sent as `clientId` with every sync. */
  get clientId(): string {
    return this.store.meta('clientId') ?? '';
  }

  /** The checkpoint of the last full sync (opaque); null before the first one. */
  get checkpoint(): string | null {
    return this.store.meta('checkpoint') ?? null;
  }

  /** The syncId of an upload sent but not answered yet; the next sync resends it (R21). */
  get inFlightSyncId(): string | null {
    return this.store.meta('inflight')?.syncId ?? null;
  }

  /**
   * Each entity's download mode (R15) as the server last reported it; empty before the first
   * sync. Persisted, so known offline after a restart.
   */
  get downloadModes(): Readonly<Partial<Record<EntityName<M>, DownloadMode>>> {
    // Keyed by the server's entity names, which are this map's names (or ones it does not use).
    return (this.store.meta('modes') ?? {}) as Partial<Record<EntityName<M>, DownloadMode>>;
  }

  /** The typed collection of one entity on the device, e.g. `db.entity('WorkOrder')`. */
  entity<E extends EntityName<M>>(name: E): EntityCollection<M, E> {
    const metadata = this.metadataOf(name);
    let collection = this.collections.get(name);
    if (!collection) {
      collection = new EntityCollection<M, EntityName<M>>(name, metadata, this.store, this.environment.generateId);
      this.collections.set(name, collection);
    }
    return collection as unknown as EntityCollection<M, E>;
  }

  /**
   * Reads one entity through the server, e.g. `db.online('Customer').get(id)`: the way to read
   * ONLINE entities, which are not kept on the device (R15); works for every entity.
   */
  online<E extends EntityName<M>>(name: E): OnlineCollection<M, E> {
    const metadata = this.metadataOf(name);
    let collection = this.onlineCollections.get(name);
    if (!collection) {
      collection = new OnlineCollection<M, EntityName<M>>(name, metadata, this.transport);
      this.onlineCollections.set(name, collection);
    }
    return collection as unknown as OnlineCollection<M, E>;
  }

  /**
   * A stored file content by its SHA-256, or null: e.g. the content of a failure record's values
   * (kept while the record is). Objects' contents are read with `db.entity(name).content(id)`.
   */
  content(contentHash: string): Promise<Uint8Array<ArrayBuffer> | null> {
    return this.store.readContent(contentHash);
  }

  private metadataOf(name: EntityName<M>): EntityMetadata {
    const metadata = this.metadata[name];
    if (!metadata) throw new InvalidChangeError(`Unknown entity "${name}"`);
    return metadata;
  }

  /** Objects with committed changes not yet uploaded. */
  unsynchronizedObjects(): ObjectKey<EntityName<M>>[] {
    return [...this.store.pendingObjects()].map(({ entity, id }) => ({ entity: entity as EntityName<M>, id }));
  }

  /**
   * Synchronizes with the server: uploads committed changes (R2), downloads, and applies the
   * result in one step (R17). Default mode `full`. Rejects with `SimultaneousSynchronizationError`
   * while another sync runs (R20), and with `SyncRequestError` when the request fails (the
   * device's data is then unchanged).
   */
  synchronize(options: SynchronizeOptions<M> = {}): Promise<SyncReport> {
    const request: SyncRequest =
      options.mode === 'selected' ? { mode: 'selected', objects: options.objects } : { mode: options.mode ?? 'full' };
    return this.synchronizer.synchronize(request);
  }

  /** The current sync status and progress. */
  get syncStatus(): SyncStatus {
    return this.status.current;
  }

  /** Calls `listener` on every change of the sync status and progress. */
  onSyncStatus(listener: SyncStatusListener): () => void {
    return this.status.subscribe(listener);
  }

  /** Calls `listener` after any object or failure record changes. */
  subscribe(listener: StoreListener): () => void {
    return this.store.subscribe(listener);
  }

  /** Waits for pending writes and releases the storage. */
  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * Opens a database for an explicit entity map: the generated one (see `openSyncDatabase`), or a
 * map extended with entities the generated code does not know (`SyncEntityTypes & { Note: … }`
 * with `{ ...syncEntityMetadata, Note: { fields, writable, queries } }`), e.g. for a server
 * newer than the app's generated code.
 */
export async function createSyncDatabase<M extends EntityTypeMap>(
  options: SyncDatabaseOptions & { metadata: EntityMetadataMap<M> },
): Promise<SyncDatabase<M>> {
  const clock = options.clock ?? systemClock;
  const generateId = options.generateId ?? randomId;
  const store = await (options.storage ? LocalStore.open(options.storage) : LocalStore.open(createMemoryStorage(), { inMemoryOnly: true }));
  if (store.meta('clientId') === undefined) {
    await store.transact('local', () => ({ changes: { meta: { clientId: generateId(), format: STORAGE_FORMAT } }, result: undefined }));
  }
  const transport = options.transport ?? createTransport({ ...options, clock, metadata: options.metadata });
  const contents = options.contentTransport ?? createContentTransport({ ...options, clock });
  return new SyncDatabase<M>(store, options.metadata, transport, contents, { clock, generateId });
}
