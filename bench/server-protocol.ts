/**
 * The messages between the benchmark and its server processes (Node IPC). The parent asks; the
 * child answers each request with the same `id`.
 */

/** Memory of the server process over a measured window. */
export interface MemoryWindow {
  /** At the start of the window, in bytes. */
  before: { rss: number; heapUsed: number };
  /** The highest values sampled during the window, in bytes. */
  peak: { rss: number; heapUsed: number };
  /**
   * The JS heap still in use after each full (mark-compact) collection during the window, the
   * highest of them, in bytes: what the server kept alive, apart from garbage V8 had not yet
   * collected (which `peak` includes, and which depends on when V8 chose to collect). Null when
   * no full collection happened in the window (`collectEveryMs` makes them happen).
   */
  liveHeapAfterGc: number | null;
  /** The most rows one paged download query read during the window (`onRowsRead`). */
  maxRowsRead: number;
}

export interface ServerMethods {
  /** Runs statements in order; answers with the rows of the last one. */
  sql: { params: { statements: string[] }; result: Record<string, unknown>[] };
  /**
   * Opens a memory window. With `collectEveryMs` the server also makes a full collection that
   * often and records the heap live after it (a measuring run, not a timed one).
   */
  memoryStart: { params: { collectEveryMs?: number }; result: null };
  memoryStop: { params: Record<string, never>; result: MemoryWindow };
  /** Closes the server and the database; the process then exits. */
  close: { params: Record<string, never>; result: null };
}

export type MethodName = keyof ServerMethods;

export interface RpcRequest<M extends MethodName = MethodName> {
  id: number;
  method: M;
  params: ServerMethods[M]['params'];
}

export type RpcResponse = { id: number; result: unknown } | { id: number; error: string };

/** Sent once when the servers listen. */
export interface Ready {
  ready: true;
  kind: 'pglite' | 'postgres';
  /** The sync server's GraphQL endpoint. */
  syncUrl: string;
  /** The origin of the baseline handler. */
  baselineUrl: string;
}
