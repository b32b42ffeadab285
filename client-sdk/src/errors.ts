/**
 * Errors the SDK throws. A change's outcome is data (see `SyncReport`); a request that fails as a
 * whole, or a misuse of the local database, is one of these errors.
 */

/** Base class of every error the SDK throws. */
export class SyncSdkError extends Error {
  override name = 'SyncSdkError';
}

/** R20: the exact message of a second `synchronize()` while one runs. */
export const SIMULTANEOUS_SYNC_MESSAGE =
  'Performing simultaneous synchronizations is not supported. Please try again after the current synchronization is completed.';

/** R20: `synchronize()` was called while another synchronization of this database was running. */
export class SimultaneousSynchronizationError extends SyncSdkError {
  override name = 'SimultaneousSynchronizationError';
  constructor() {
    super(SIMULTANEOUS_SYNC_MESSAGE);
  }
}

/**
 * Why a request failed:
 * - `offline`: the device reports no network; nothing was sent.
 * - `network`: the request or its response was lost (the server may have applied the upload).
 * - `timeout`: no complete response within `timeoutMs` (the server may have applied the upload).
 * - `unauthorized`: HTTP 401, the token is missing, invalid or expired.
 * - `payload-too-large`: HTTP 413, the change set is over the server's size limit.
 * - `server`: HTTP 5xx.
 * - `http`: any other non-2xx status.
 * - `graphql`: the server refused the request with GraphQL errors (malformed request); nothing applied.
 * - `protocol`: the response is not what this SDK understands.
 */
export type RequestFailureKind =
  | 'offline'
  | 'network'
  | 'timeout'
  | 'unauthorized'
  | 'payload-too-large'
  | 'server'
  | 'http'
  | 'graphql'
  | 'protocol';

/** One GraphQL error as the server reported it. */
export interface GraphQLErrorInfo {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Readonly<Record<string, unknown>>;
}

/** A request to the server failed as a whole. Local data is unchanged. */
export class SyncRequestError extends SyncSdkError {
  override name = 'SyncRequestError';
  readonly kind: RequestFailureKind;
  /** The HTTP status, when a response arrived. */
  readonly status: number | undefined;
  readonly graphQLErrors: readonly GraphQLErrorInfo[];
  /**
   * True when the server may have applied the upload (the response was lost, timed out, or a 5xx
   * came back). The SDK then keeps the in-flight change set and resends it with the same syncId.
   */
  readonly mayHaveApplied: boolean;

  constructor(
    kind: RequestFailureKind,
    message: string,
    details: { status?: number; graphQLErrors?: readonly GraphQLErrorInfo[]; cause?: unknown; mayHaveApplied?: boolean } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.status = details.status;
    this.graphQLErrors = details.graphQLErrors ?? [];
    this.mayHaveApplied =
      details.mayHaveApplied ?? (kind === 'network' || kind === 'timeout' || kind === 'server' || kind === 'protocol');
  }
}

/**
 * F2: uploading a file content failed (after one retry for a lost connection, a timeout or a
 * server error), so the sync was stopped before its change set was sent: nothing changed on the
 * server or the device. `kind` is that of the failed request, e.g. `payload-too-large` for a
 * content over the server's size limit (HTTP 413), which no retry fixes: attach smaller content
 * or delete the objects.
 */
export class FileUploadError extends SyncRequestError {
  override name = 'FileUploadError';
  /** The SHA-256 of the content that could not be uploaded. */
  readonly contentHash: string;
  /** The objects of the change set that carry this content. */
  readonly objects: readonly { entity: string; id: string }[];

  constructor(cause: SyncRequestError, contentHash: string, objects: readonly { entity: string; id: string }[]) {
    const names = objects.map(({ entity, id }) => `${entity} ${id}`).join(', ');
    super(cause.kind, `Uploading the file content of ${names} failed, so nothing was synchronized: ${cause.message}`, {
      status: cause.status,
      cause,
      mayHaveApplied: false,
    });
    this.contentHash = contentHash;
    this.objects = objects;
  }
}

/** A local operation named an object that does not exist on the device (or is deleted). */
export class ObjectNotFoundError extends SyncSdkError {
  override name = 'ObjectNotFoundError';
  constructor(entity: string, id: string) {
    super(`${entity} ${id} does not exist on this device`);
  }
}

/** A local edit named an attribute the device may not write, or an unknown entity. */
export class InvalidChangeError extends SyncSdkError {
  override name = 'InvalidChangeError';
}

/** The database was used after `close()`. */
export class DatabaseClosedError extends SyncSdkError {
  override name = 'DatabaseClosedError';
  constructor() {
    super('The sync database is closed');
  }
}
