import {
  createSyncDatabase,
  openSyncDatabase,
  type Database,
  type FetchLike,
  type SyncDatabase,
  type SyncDatabaseOptions,
} from '../../../client-sdk/src/index.ts';
import { createMemoryStorage } from '../../../client-sdk/src/storage/memory-storage.ts';
import type { TestServer } from '../../support/server.ts';
import { modeEntityMetadata, type ModeEntityTypes } from './mode-entities.ts';

/** Test helpers that open SDK databases ("devices") against the real in-process server. */

/**
 * Opens a device for `user` on the test server; options override the defaults. Without a
 * `storage` option it is what an app gets without one: a database in memory only.
 */
export function openDevice(server: TestServer, user: string, options: Partial<SyncDatabaseOptions> = {}): Promise<Database> {
  return openSyncDatabase({ url: server.url, fetch: server.fetch, token: `dev:${user}`, ...options });
}

/** Opens a device whose entity map is the generated one plus the test entities of `mode-entities.ts`. */
export function openModesDevice(server: TestServer, user: string, options: Partial<SyncDatabaseOptions> = {}): Promise<SyncDatabase<ModeEntityTypes>> {
  return createSyncDatabase<ModeEntityTypes>({
    url: server.url,
    fetch: server.fetch,
    token: `dev:${user}`,
    storage: createMemoryStorage(),
    ...options,
    metadata: modeEntityMetadata,
  });
}

/** A deferred promise, to hold a request at a chosen point without timing assumptions. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The body of a request as JSON, whatever form `fetch` received it in; for a GET, its query
 * parameters as the body a POST would carry.
 */
export async function requestJson(input: RequestInfo | URL, init?: RequestInit): Promise<{ query?: string; variables?: Record<string, unknown> }> {
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  if (method === 'GET') {
    const params = new URL(input instanceof Request ? input.url : String(input)).searchParams;
    const variables = params.get('variables');
    return { ...(params.has('query') ? { query: params.get('query')! } : {}), ...(variables ? { variables: JSON.parse(variables) } : {}) };
  }
  const body = init?.body ?? (input instanceof Request ? await input.clone().text() : undefined);
  return typeof body === 'string' ? JSON.parse(body) : {};
}

/** True when a request is a sync: a `synchronize` mutation, or the `download` query of a sync with nothing to upload. */
export async function isSynchronize(input: RequestInfo | URL, init?: RequestInit): Promise<boolean> {
  const query = (await requestJson(input, init)).query ?? '';
  return query.includes('mutation Synchronize') || query.includes('query Download(');
}

/** True when a request fetches a further download page (R17). */
export async function isDownloadPage(input: RequestInfo | URL, init?: RequestInit): Promise<boolean> {
  return (await requestJson(input, init)).query?.includes('query DownloadPage') ?? false;
}

/** Wraps a fetch so that a test can intercept `downloadPage` requests; `n` counts them from 1. */
export function interceptDownloadPage(fetch: FetchLike, intercept: (forward: () => Promise<Response>, n: number) => Promise<Response>): FetchLike {
  let n = 0;
  return async (input, init) => {
    if (!(await isDownloadPage(input, init))) return fetch(input, init);
    return intercept(() => fetch(input, init), ++n);
  };
}

/** The device's checkpoint aged by `days` (it is base64url JSON `{ v, snapshot, issuedAt }`). */
export function agedCheckpoint(checkpoint: string, days: number): string {
  const decoded = JSON.parse(Buffer.from(checkpoint, 'base64url').toString('utf8')) as { issuedAt: string };
  const issuedAt = new Date(Date.parse(decoded.issuedAt) - days * 24 * 60 * 60 * 1000).toISOString();
  return Buffer.from(JSON.stringify({ ...decoded, issuedAt })).toString('base64url');
}

/** Wraps a fetch so that a test can intercept `synchronize` requests. */
export function interceptSynchronize(
  fetch: FetchLike,
  intercept: (forward: () => Promise<Response>, body: { variables?: Record<string, unknown> }) => Promise<Response>,
): FetchLike {
  return async (input, init) => {
    if (!(await isSynchronize(input, init))) return fetch(input, init);
    return intercept(() => fetch(input, init), await requestJson(input, init));
  };
}
