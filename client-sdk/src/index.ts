import { createSyncDatabase, type SyncDatabase, type SyncDatabaseOptions } from './database.ts';
import { syncEntityMetadata, type SyncEntityTypes } from './generated/entities.ts';

/**
 * The typed client SDK of offline-sync: a local database on the device that synchronizes with
 * the server. Start with `openSyncDatabase`; see docs/client-sdk.md.
 */

/** The database typed by this schema's entities. */
export type Database = SyncDatabase<SyncEntityTypes>;

/** Opens the local database for the entities of `schema.graphql`. */
export function openSyncDatabase(options: SyncDatabaseOptions): Promise<Database> {
  return createSyncDatabase<SyncEntityTypes>({ ...options, metadata: syncEntityMetadata });
}

export { createSyncDatabase, SyncDatabase, type SyncDatabaseOptions, type SynchronizeOptions } from './database.ts';
export {
  EntityCollection,
  type AttachableContent,
  type AttachOptions,
  type CollectionEvent,
  type CreateOptions,
  type EditOptions,
} from './entity-collection.ts';
export { FILE_ATTRIBUTES, isFileEntity, sha256Hex, type ContentOptions, type FileContent, type FileEntityName } from './file-content.ts';
export { createContentTransport, type ContentResponse, type ContentTransport, type ContentTransportOptions } from './content-transport.ts';
export type { ContentWarning, ContentWarningReason } from './content-download.ts';
export { OnlineCollection, type OnlineFilter, type OnlineListQuery, type OnlineObject, type OnlinePage } from './online-collection.ts';
export type {
  AttributeValue,
  AttributeValues,
  EntityMetadata,
  EntityMetadataMap,
  EntityName,
  EntityTypeMap,
  EntityValues,
  EntityView,
  ObjectKey,
  ObjectStatus,
  PendingOp,
} from './entity-types.ts';
export { navigatorOnline, randomId, systemClock, type Clock, type FetchLike, type IdGenerator, type OnlineStatus } from './environment.ts';
export {
  DatabaseClosedError,
  FileUploadError,
  InvalidChangeError,
  ObjectNotFoundError,
  SIMULTANEOUS_SYNC_MESSAGE,
  SimultaneousSynchronizationError,
  SyncRequestError,
  SyncSdkError,
  type GraphQLErrorInfo,
  type RequestFailureKind,
} from './errors.ts';
export { failureContent, FailureRecords, type FailureContent, type FailureFilter } from './failures.ts';
export type { ChangeSource, FailureRecord, StoreEvent, StoreListener } from './local-store.ts';
export type { Condition, ListQuery, Operators, OrderBy } from './query.ts';
export type { ObjectOutcome, RemovalReason, RemovedObject } from './apply-result.ts';
export type { SyncMode } from './change-set.ts';
export type { FileUrlData } from './download-stage.ts';
export type { SyncReport } from './synchronizer.ts';
export type { Amount, SyncPhase, SyncProgress, SyncStatus, SyncStatusListener } from './sync-status.ts';
export { createTransport, type RequestProgress, type TokenSource, type Transport, type TransportOptions } from './transport.ts';
export { createMemoryStorage } from './storage/memory-storage.ts';
export { createIndexedDbStorage, type IndexedDbStorageOptions } from './storage/indexeddb-storage.ts';
export { CONTENTS_STORE, storeNames, type StorageAdapter, type StorageSnapshot, type StorageWrite, type StoreName } from './storage/storage-adapter.ts';
export { syncEntityMetadata, type SyncEntityTypes } from './generated/entities.ts';
export type * from './generated/graphql.ts';
