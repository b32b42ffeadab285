import {
  Client,
  CombinedError,
  fetchExchange,
  getOperationName,
  stringifyDocument,
  type AnyVariables,
  type TypedDocumentNode,
} from '@urql/core';
import { stripIgnoredCharacters, type DocumentNode } from 'graphql';
import { withEntitySelections, type MetadataByEntity } from './documents.ts';
import { systemClock, navigatorOnline, type Clock, type FetchLike, type OnlineStatus } from './environment.ts';
import { SyncRequestError, type GraphQLErrorInfo } from './errors.ts';
import { syncEntityMetadata } from './generated/entities.ts';
import {
  DownloadDocument,
  DownloadPageDocument,
  ResolveSynchronizationFailureDocument,
  SyncEntitiesDocument,
  SynchronizationFailuresDocument,
  SynchronizeDocument,
  type DownloadPageQuery,
  type DownloadQuery,
  type SyncEntitiesQuery,
  type SynchronizationFailureFieldsFragment,
  type SynchronizationFailuresQueryVariables,
  type SynchronizeMutation,
  type SynchronizeMutationVariables,
  type SyncResultFieldsFragment,
} from './generated/graphql.ts';

/**
 * The only module that talks to the network (and the only one importing urql). It sends the
 * generated typed documents and turns every way a request can fail into a `SyncRequestError`
 * of a precise kind, so the rest of the SDK can decide whether an upload may have been applied.
 */

/** A `synchronize` result or a further download page, as this SDK selects it. */
export type SyncResultData = SyncResultFieldsFragment;
/** One entity's download mode as the server reports it. */
export type SyncEntityInfo = SyncEntitiesQuery['syncEntities'][number];

/** The bearer token, or a function that returns the current one (e.g. refreshed). */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

/** How the transport reaches the server. */
export interface TransportOptions {
  /** The GraphQL endpoint, e.g. `https://sync.example.com/graphql`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: TokenSource;
  /** Further headers on every request. */
  headers?: Readonly<Record<string, string>>;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** A request (including reading the response) that takes longer fails as `timeout`. Default 30 s. */
  timeoutMs?: number;
  clock?: Clock;
  isOnline?: OnlineStatus;
  /**
   * The entity map of the database. Entities the generated documents do not know (an injected
   * map, see `createSyncDatabase`) get their fields selected in downloads from here.
   */
  metadata?: MetadataByEntity;
}

/** Byte-level progress of one request. */
export interface RequestProgress {
  /** The request body is about to be sent. */
  sending(bytes: number): void;
  /** Response bytes received so far; `total` from Content-Length when the server sent it. */
  receiving(bytes: number, total: number | null): void;
}

/**
 * The server operations the SDK uses. The results of `synchronize` and `downloadPage` are handed
 * over: the SDK keeps their downloaded objects, frozen, as the device's server state (no copy), so
 * a transport must not change them afterwards.
 */
export interface Transport {
  /**
   * One sync. A change set without changes writes nothing on the server: the HTTP transport sends
   * it as the `download` query, by GET.
   */
  synchronize(variables: SynchronizeMutationVariables, progress?: RequestProgress): Promise<SyncResultData>;
  /** A further page of a full sync's download (R17), by the previous page's `nextPage`. */
  downloadPage(cursor: string, progress?: RequestProgress): Promise<SyncResultData>;
  /** A read-only query built at run time (online reads); resolves to its `data`. */
  read(query: string, variables: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  syncEntities(): Promise<SyncEntityInfo[]>;
  synchronizationFailures(variables: SynchronizationFailuresQueryVariables): Promise<SynchronizationFailureFieldsFragment[]>;
  resolveSynchronizationFailure(id: string): Promise<SynchronizationFailureFieldsFragment>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What the SDK accepts: one JSON result (no incremental delivery). */
const ACCEPT = 'application/graphql-response+json, application/graphql+json, application/json';

const decoder = new TextDecoder();

const NOT_ASCII = /[^\x00-\x7f]/;

/** The UTF-8 length of a string, without encoding it. */
function utf8Length(text: string): number {
  // Up to the first character beyond ASCII (found by the regex engine, not a loop of
  // `charCodeAt`), every character is one byte: a change set's JSON is mostly, often all, ASCII.
  const first = text.search(NOT_ASCII);
  if (first === -1) return text.length;
  let bytes = text.length;
  for (let i = first; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 UTF-16 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** A GraphQL response body as urql reads one: JSON, or text that must be JSON, with `data` or `errors`. */
function parsePayload<Data>(response: Response, bytes: Uint8Array): { data?: Data | null; errors?: unknown } {
  const text = decoder.decode(bytes);
  const contentType = response.headers.get('content-type') ?? '';
  let payload: unknown;
  if (/text\//i.test(contentType)) {
    try {
      payload = JSON.parse(text);
    } catch {
      throw new Error(text);
    }
  } else payload = JSON.parse(text);
  if (payload === null || typeof payload !== 'object' || !('data' in payload || ('errors' in payload && Array.isArray(payload.errors)))) {
    throw new Error('No Content');
  }
  return payload as { data?: Data | null; errors?: unknown };
}

/**
 * Bodies announced this small are read in one call: progress within them would not be seen, and
 * reading chunk by chunk costs more than the rest of a small exchange (an idle or selective sync).
 */
const SMALL_BODY_BYTES = 64 * 1024;

/** Reads a whole body, reporting bytes as they arrive; `total` is its announced length. */
async function readBody(response: Response, total: number | null, onBytes?: (bytes: number) => void): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.body || (total !== null && total <= SMALL_BODY_BYTES)) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onBytes?.(bytes.byteLength);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
    onBytes?.(length);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The longest URL a query is sent by GET in; a longer one (a selective sync of many objects) is
 * POSTed. Well under the 8 KB request line that proxies commonly accept.
 */
const MAX_GET_URL = 6144;

/**
 * A sync request's fixed part, encoded once: its JSON body up to the variables, and that part's
 * UTF-8 length; for a query, also its GET URL up to the encoded variables.
 */
interface PreparedRequest {
  head: string;
  headBytes: number;
  getUrl: string | null;
}

function classify(error: CombinedError, status: number | undefined): SyncRequestError {
  if (error.networkError instanceof SyncRequestError) return error.networkError;
  const graphQLErrors: GraphQLErrorInfo[] = error.graphQLErrors.map((e) => ({
    message: e.message,
    ...(e.path ? { path: e.path } : {}),
    ...(e.extensions && Object.keys(e.extensions).length > 0 ? { extensions: e.extensions } : {}),
  }));
  const details = { status, graphQLErrors, cause: error };
  const messages = graphQLErrors.map((e) => e.message).join('; ') || error.networkError?.message || error.message;
  if (status === 401) return new SyncRequestError('unauthorized', `The server refused the credentials (HTTP 401): ${messages}`, details);
  if (status === 413) return new SyncRequestError('payload-too-large', `The request is over the server's size limit (HTTP 413)`, details);
  if (status !== undefined && status >= 500) return new SyncRequestError('server', `The server failed (HTTP ${status}): ${messages}`, details);
  if (graphQLErrors.length > 0) {
    // Errors without a path refuse the request before it runs (parse, validation, variables);
    // an error with a path comes from a resolver, which may have committed before failing.
    const mayHaveApplied = graphQLErrors.some((e) => e.path !== undefined && e.path.length > 0);
    return new SyncRequestError('graphql', `The server refused the request: ${messages}`, { ...details, mayHaveApplied });
  }
  if (status !== undefined && (status < 200 || status >= 300)) {
    return new SyncRequestError('http', `The server answered HTTP ${status}: ${messages}`, details);
  }
  return new SyncRequestError('protocol', `Unexpected response: ${messages}`, details);
}

/** Creates the urql-based transport. */
export function createTransport(options: TransportOptions): Transport {
  const clock = options.clock ?? systemClock;
  const isOnline = options.isOnline ?? navigatorOnline;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const extra = Object.fromEntries(Object.entries(options.metadata ?? {}).filter(([name]) => !Object.hasOwn(syncEntityMetadata, name)));
  const synchronizeDocument = withEntitySelections(SynchronizeDocument, extra);
  const downloadDocument = withEntitySelections(DownloadDocument, extra);
  const downloadPageDocument = withEntitySelections(DownloadPageDocument, extra);
  const client = new Client({ url: options.url, exchanges: [fetchExchange], requestPolicy: 'network-only', preferGetMethod: false });

  async function headers(): Promise<Record<string, string>> {
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    return { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  }

  /**
   * One request with a deadline over the whole exchange; the body is read here to count its
   * bytes. Fails with a `SyncRequestError` (`network`, `timeout`) when no complete response arrives.
   */
  async function exchange(
    init: RequestInit,
    progress: RequestProgress | undefined,
    seen: { status?: number },
    bodyBytes?: number,
    url: string = options.url,
  ): Promise<{ response: Response; body: Uint8Array<ArrayBuffer> }> {
    const controller = new AbortController();
    init.signal?.addEventListener('abort', () => controller.abort());
    if (progress) progress.sending(bodyBytes ?? (typeof init.body === 'string' ? utf8Length(init.body) : 0));
    const work = (async () => {
      let response: Response;
      try {
        response = await baseFetch(url, { ...init, signal: controller.signal });
      } catch (cause) {
        throw new SyncRequestError('network', `The request to ${options.url} failed: ${describe(cause)}`, { cause });
      }
      seen.status = response.status;
      const length = Number(response.headers.get('content-length'));
      const total = Number.isFinite(length) && length > 0 ? length : null;
      try {
        const body = await readBody(response, total, progress ? (bytes) => progress.receiving(bytes, total) : undefined);
        return { response, body };
      } catch (cause) {
        throw new SyncRequestError('network', `The response from ${options.url} was lost: ${describe(cause)}`, { cause, status: response.status });
      }
    })();
    let timer: unknown;
    const deadline = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        controller.abort();
        reject(new SyncRequestError('timeout', `No complete response from ${options.url} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    // Once the deadline wins, the aborted exchange's own failure is of no interest.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /** The fetch urql calls: `exchange`, its body handed back in a fresh Response. */
  function fetchFor(progress: RequestProgress | undefined, seen: { status?: number }): FetchLike {
    return async (_input, init) => {
      const { response, body } = await exchange({ ...init }, progress, seen);
      const nullBody = response.status === 204 || response.status === 304;
      return new Response(nullBody ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
  }

  async function execute<Data, Variables extends AnyVariables>(
    kind: 'query' | 'mutation',
    document: TypedDocumentNode<Data, Variables> | string,
    variables: Variables,
    progress?: RequestProgress,
  ): Promise<Data> {
    if (!isOnline()) throw new SyncRequestError('offline', 'The device is offline; nothing was sent', { mayHaveApplied: false });
    const seen: { status?: number } = {};
    const context = { fetch: fetchFor(progress, seen), fetchOptions: { headers: await headers() } };
    const operation = kind === 'query' ? client.query(document, variables, context) : client.mutation(document, variables, context);
    const result = await operation.toPromise();
    if (result.error) throw classify(result.error, seen.status);
    if (!result.data) throw new SyncRequestError('protocol', 'The response has no data', { status: seen.status });
    return result.data;
  }

  /**
   * The sync requests (`synchronize`, `download`, download pages) are sent directly, not through
   * the urql client: they are the SDK's hot path, made on a timer and per selective sync, and their
   * results are never cached, deduplicated or streamed, so the client's per-operation work (keying
   * the variables, the exchange pipeline) buys nothing. A mutation is the POST urql sends (the
   * same document, operation name, headers and JSON body), its document printed without the
   * whitespace GraphQL ignores; a query is sent as urql's `preferGetMethod` would, by GET with its
   * parameters in the URL when that is short enough (a GET costs both sides less than a POST,
   * and has no body to stream), else by the same POST. Every failure is classified as a urql
   * result would be (`classify`).
   */
  function prepare(document: DocumentNode): PreparedRequest {
    const operationName = getOperationName(document);
    // Indentation is a third of a printed document, and three bytes per space in a URL.
    const query = stripIgnoredCharacters(stringifyDocument(document));
    // The JSON of `{ operationName, query, variables }` up to the variables: the document's
    // escaped text is the largest part of an idle or selective sync's request, and never changes.
    const head = `${JSON.stringify({ operationName, query }).slice(0, -1)},"variables":`;
    const isQuery = document.definitions.some((definition) => definition.kind === 'OperationDefinition' && definition.operation === 'query');
    // Spaces as `+`, as `URLSearchParams` writes them: one byte instead of three.
    const search = `operationName=${encodeURIComponent(operationName ?? '')}&query=${encodeURIComponent(query).replaceAll('%20', '+')}&variables=`;
    const getUrl = isQuery ? `${options.url}${options.url.includes('?') ? '&' : '?'}${search}` : null;
    return { head, headBytes: utf8Length(head), getUrl };
  }

  async function send<Data>(prepared: PreparedRequest, variables: AnyVariables, progress?: RequestProgress): Promise<Data> {
    if (!isOnline()) throw new SyncRequestError('offline', 'The device is offline; nothing was sent', { mayHaveApplied: false });
    const requestHeaders: Record<string, string> = { accept: ACCEPT };
    for (const [name, value] of Object.entries(await headers())) requestHeaders[name.toLowerCase()] = value;
    const json = JSON.stringify(variables);
    const seen: { status?: number } = {};
    const getUrl = prepared.getUrl && `${prepared.getUrl}${encodeURIComponent(json)}`;
    const byGet = getUrl !== null && getUrl.length <= MAX_GET_URL;
    if (!byGet) requestHeaders['content-type'] ??= 'application/json';
    const init: RequestInit = byGet
      ? // `no-store`: a browser must neither answer from its cache nor keep what a sync downloads.
        { method: 'GET', headers: requestHeaders, cache: 'no-store' }
      : { method: 'POST', headers: requestHeaders, body: `${prepared.head}${json}}` };
    const bodyBytes = byGet || !progress ? 0 : prepared.headBytes + utf8Length(json) + 1;
    const { response, body: bytes } = await exchange(init, progress, seen, bodyBytes, byGet ? getUrl : options.url);
    let payload: { data?: Data | null; errors?: unknown };
    try {
      payload = parsePayload(response, bytes);
    } catch (cause) {
      const failed = (response.status < 200 || response.status >= 300) && response.statusText;
      const networkError = failed ? new Error(response.statusText) : cause instanceof Error ? cause : new Error(String(cause));
      throw classify(new CombinedError({ networkError, response }), response.status);
    }
    if (Array.isArray(payload.errors)) throw classify(new CombinedError({ graphQLErrors: payload.errors, response }), response.status);
    if (!payload.data) throw new SyncRequestError('protocol', 'The response has no data', { status: response.status });
    return payload.data;
  }

  const synchronizeRequest = prepare(synchronizeDocument);
  const downloadRequest = prepare(downloadDocument);
  const downloadPageRequest = prepare(downloadPageDocument);

  return {
    async synchronize(variables, progress) {
      const { input, selection } = variables;
      if (input.changes.length > 0) return (await send<SynchronizeMutation>(synchronizeRequest, variables, progress)).synchronize;
      // Nothing to upload (an idle sync, a selective one of unchanged objects): the same sync as
      // the `download` query, which writes nothing and so may be sent by GET.
      const request = { clientId: input.clientId, syncId: input.syncId, checkpoint: input.checkpoint ?? null };
      return (await send<DownloadQuery>(downloadRequest, { input: request, selection }, progress)).download;
    },
    async downloadPage(cursor, progress) {
      return (await send<DownloadPageQuery>(downloadPageRequest, { cursor }, progress)).downloadPage;
    },
    async read(query, variables) {
      return execute<Record<string, unknown>, Record<string, unknown>>('query', query, { ...variables });
    },
    async syncEntities() {
      return (await execute('query', SyncEntitiesDocument, {})).syncEntities;
    },
    async synchronizationFailures(variables) {
      return (await execute('query', SynchronizationFailuresDocument, variables)).synchronizationFailures;
    },
    async resolveSynchronizationFailure(id) {
      return (await execute('mutation', ResolveSynchronizationFailureDocument, { id })).resolveSynchronizationFailure;
    },
  };
}
