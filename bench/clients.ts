import { openSyncDatabase, type Database, type StorageAdapter } from '@offline-sync/client-sdk';

/**
 * The two kinds of client: the SDK as an app uses it (its public API over HTTP), and the
 * baseline's bare `fetch` + `JSON.parse`.
 */

/** Requests of a million-object sync take long; the benchmark must not time out where an app would retry. */
const TIMEOUT_MS = 10 * 60 * 1000;

/** Opens an SDK database for `user` against a sync server, in memory unless a storage is given. */
export function openClient(url: string, user: string, storage?: StorageAdapter): Promise<Database> {
  return openSyncDatabase({ url, token: `dev:${user}`, timeoutMs: TIMEOUT_MS, ...(storage ? { storage } : {}) });
}

/** Fetches a baseline route as `user` and parses the JSON answer. */
export async function fetchBaseline(url: string, user: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, { ...init, headers: { authorization: `Bearer dev:${user}`, 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`Baseline ${url} answered HTTP ${response.status}: ${await response.text()}`);
  return JSON.parse(await response.text());
}
