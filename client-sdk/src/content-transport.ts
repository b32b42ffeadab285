import { navigatorOnline, systemClock, type FetchLike } from './environment.ts';
import { SyncRequestError } from './errors.ts';
import type { TransportOptions } from './transport.ts';

/**
 * The network side of file contents (F2, F3): plain HTTP on `/files/<sha256>` beside the GraphQL
 * endpoint, and the signed URLs of `SyncResult.files`, through the same injected fetch, token,
 * timeout and online check as the GraphQL transport. Every failure is a `SyncRequestError`.
 */

/** What a content download found. */
export type ContentResponse =
  | { status: 'ok'; bytes: Uint8Array<ArrayBuffer> }
  /** 404: the server has no such content (or none this viewer may read). */
  | { status: 'missing' }
  /** 403: the signed URL expired, was altered, or its object is no longer readable. */
  | { status: 'forbidden' };

/** The file operations the SDK uses; replaceable like `Transport`. */
export interface ContentTransport {
  /** `HEAD /files/<hash>`: whether the server already has the content. */
  has(hash: string): Promise<boolean>;
  /** `PUT /files/<hash>`: uploads the content (idempotent). */
  put(hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Downloads content: from a signed URL (sent without the token), or `/files/<hash>` with the token when `url` is null. */
  get(hash: string, url: string | null): Promise<ContentResponse>;
}

/** Where the content endpoint is: `/files/` on the GraphQL endpoint's origin unless `filesUrl` says otherwise. */
export interface ContentTransportOptions extends TransportOptions {
  /** Base URL of the file endpoint; default `/files/` on the origin of `url`. */
  filesUrl?: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Creates the fetch-based content transport. */
export function createContentTransport(options: ContentTransportOptions): ContentTransport {
  const clock = options.clock ?? systemClock;
  const isOnline = options.isOnline ?? navigatorOnline;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = new URL(options.filesUrl ?? '/files/', options.url);
  const pathOf = (hash: string) => new URL(hash, base).toString();

  async function headers(withToken: boolean): Promise<Record<string, string>> {
    if (!withToken) return {};
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    return { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  }

  /**
   * One exchange with a deadline over the request and the whole body; resolves with the status
   * and the body bytes. Only a lost connection or the deadline throw here.
   */
  async function exchange(url: string, init: RequestInit, withToken: boolean, mayHaveApplied: boolean) {
    if (!isOnline()) throw new SyncRequestError('offline', 'The device is offline; nothing was sent', { mayHaveApplied: false });
    const controller = new AbortController();
    const work = (async () => {
      let response: Response;
      try {
        response = await baseFetch(url, { ...init, headers: { ...init.headers, ...(await headers(withToken)) }, signal: controller.signal });
      } catch (cause) {
        throw new SyncRequestError('network', `The request to ${url} failed: ${describe(cause)}`, { cause, mayHaveApplied });
      }
      try {
        return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
      } catch (cause) {
        throw new SyncRequestError('network', `The response from ${url} was lost: ${describe(cause)}`, { cause, status: response.status, mayHaveApplied });
      }
    })();
    // Once the deadline wins, the aborted exchange's own failure is of no interest.
    work.catch(() => undefined);
    let timer: unknown;
    const deadline = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        controller.abort();
        reject(new SyncRequestError('timeout', `No complete response from ${url} within ${timeoutMs} ms`, { mayHaveApplied }));
      }, timeoutMs);
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /** A status the caller does not handle itself, as an error of the matching kind. */
  function failure(url: string, status: number, body: Uint8Array, mayHaveApplied: boolean): SyncRequestError {
    const text = new TextDecoder().decode(body).slice(0, 500);
    const details = { status, mayHaveApplied };
    if (status === 401) return new SyncRequestError('unauthorized', `The server refused the credentials (HTTP 401) for ${url}: ${text}`, details);
    if (status === 413) return new SyncRequestError('payload-too-large', `The file is over the server's size limit (HTTP 413): ${text}`, details);
    if (status >= 500) return new SyncRequestError('server', `The server failed (HTTP ${status}) for ${url}: ${text}`, details);
    return new SyncRequestError('http', `The server answered HTTP ${status} for ${url}: ${text}`, details);
  }

  return {
    async has(hash) {
      const url = pathOf(hash);
      const { status, bytes } = await exchange(url, { method: 'HEAD' }, true, false);
      if (status === 200) return true;
      if (status === 404) return false;
      throw failure(url, status, bytes, false);
    },
    async put(hash, bytes) {
      const url = pathOf(hash);
      const response = await exchange(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes }, true, false);
      if (response.status !== 200 && response.status !== 201) throw failure(url, response.status, response.bytes, false);
    },
    async get(hash, signedUrl) {
      const url = signedUrl ?? pathOf(hash);
      // The upload was applied before contents are downloaded: a failure here may follow an applied upload.
      const { status, bytes } = await exchange(url, { method: 'GET' }, signedUrl === null, true);
      if (status === 200) return { status: 'ok', bytes };
      if (status === 404) return { status: 'missing' };
      if (status === 403) return { status: 'forbidden' };
      throw failure(url, status, bytes, true);
    },
  };
}
