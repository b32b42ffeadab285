/**
 * The environment the SDK runs in, injectable so that tests (and unusual platforms) control time,
 * ids and the online status instead of depending on the machine.
 */

/** Time source and timers. */
export interface Clock {
  now(): Date;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Makes object ids (R1: UUIDs made on the device), client ids and sync ids. */
export type IdGenerator = () => string;

/** `crypto.randomUUID`, available in browsers (secure contexts) and Node 20. */
export const randomId: IdGenerator = () => globalThis.crypto.randomUUID();

/** Whether the device believes it has a network; `false` makes a sync fail fast as `offline`. */
export type OnlineStatus = () => boolean;

/** `navigator.onLine` where it exists (browsers), otherwise always online. */
export const navigatorOnline: OnlineStatus = () => {
  const navigator = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  return navigator?.onLine ?? true;
};

/** The `fetch` signature the transport needs. */
export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
