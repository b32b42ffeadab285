import type { Viewer } from '../registry/viewer.ts';
import type { DownloadResult } from './download.ts';

/**
 * Reading the next page of a paged download (R17) while the device is busy with the one it just
 * got: the device parses and stages a page before it asks for the next, so without this the
 * server would idle then and the device wait afterwards. The page read ahead is handed out once,
 * to the same viewer asking with the same cursor; anything else (another instance, a retry, a
 * page not asked for in time) reads the page as before. A page read ahead is read a little
 * earlier than asked for; like any later page it is read after the download's checkpoint, so
 * whatever changed since reaches the device with the next sync (see `continueDownload`).
 * Memory stays bounded by the page: per server instance at most `maxPages` pages are read ahead
 * at once, and at most `maxPages` wait to be asked for.
 */

export interface PagePrefetch {
  /** Starts reading the page of `cursor` for `viewer` (the oldest page waiting makes room). */
  start(viewer: Viewer, cursor: string, read: () => Promise<DownloadResult>): void;
  /** The page read ahead for this viewer and cursor (taken out), or null to read it now. */
  take(viewer: Viewer, cursor: string): Promise<DownloadResult | null>;
  /** Waits for the reads still running (before the database closes). */
  settle(): Promise<void>;
}

export interface PagePrefetchOptions {
  /** Most pages being read ahead at once, and most waiting to be asked for; 0 turns it off. */
  maxPages: number;
  /** How long a page read ahead waits to be asked for. */
  ttlMs: number;
  now?: () => number;
}

interface Entry {
  page: Promise<DownloadResult | null>;
  expires: number;
}

function keyOf(viewer: Viewer, cursor: string): string {
  // The roles too: the same user with other roles may see other rows.
  return `${viewer.id}\u0000${[...viewer.roles].sort().join(',')}\u0000${cursor}`;
}

/** A page cache of one server instance; it is an optimization only (DESIGN §7: no state of its own). */
export function createPagePrefetch({ maxPages, ttlMs, now = Date.now }: PagePrefetchOptions): PagePrefetch {
  const entries = new Map<string, Entry>();
  const running = new Set<Promise<unknown>>();

  function sweep(): void {
    const at = now();
    for (const [key, entry] of entries) if (entry.expires <= at) entries.delete(key);
  }

  return {
    start(viewer, cursor, read) {
      // Reads already running count too, so the pages in memory stay bounded under bursts.
      if (maxPages <= 0 || running.size >= maxPages) return;
      sweep();
      // The oldest page waiting goes first: its device is the least likely to ask for it still.
      while (entries.size >= maxPages) entries.delete(entries.keys().next().value!);
      // A failed read is not an error of anyone's request: the page is then read when asked for.
      const page = read().catch(() => null);
      running.add(page);
      void page.finally(() => running.delete(page));
      entries.set(keyOf(viewer, cursor), { page, expires: now() + ttlMs });
    },
    async take(viewer, cursor) {
      const key = keyOf(viewer, cursor);
      const entry = entries.get(key);
      if (!entry) return null;
      entries.delete(key);
      return entry.expires > now() ? entry.page : null;
    },
    async settle() {
      await Promise.all([...running]);
    },
  };
}
