import { describe, expect, it } from 'vitest';
import type { DownloadResult } from '../../server/src/sync/download.ts';
import { createPagePrefetch } from '../../server/src/sync/page-prefetch.ts';

/** R17: the next download page read ahead is handed out once, to the same viewer, and memory stays bounded. */

const alice = { id: 'alice', roles: ['fieldworker'] };
const page = (n: number): DownloadResult => ({ checkpoint: 'c', reset: true, hasMore: false, nextPage: null, upserted: [], deleted: [{ entity: 'WorkOrder', id: String(n) }] });

describe('reading download pages ahead', () => {
  it('hands a page to the viewer that asks with its cursor, once', async () => {
    const prefetch = createPagePrefetch({ maxPages: 4, ttlMs: 1000 });
    prefetch.start(alice, 'cursor-1', async () => page(1));
    expect(await prefetch.take(alice, 'cursor-1')).toEqual(page(1));
    expect(await prefetch.take(alice, 'cursor-1')).toBeNull();
  });

  it('never hands a page to another viewer, nor to the same user with other roles', async () => {
    const prefetch = createPagePrefetch({ maxPages: 4, ttlMs: 1000 });
    prefetch.start(alice, 'cursor-1', async () => page(1));
    expect(await prefetch.take({ id: 'bob', roles: ['fieldworker'] }, 'cursor-1')).toBeNull();
    expect(await prefetch.take({ id: 'alice', roles: ['admin'] }, 'cursor-1')).toBeNull();
    expect(await prefetch.take(alice, 'cursor-2')).toBeNull();
    expect(await prefetch.take(alice, 'cursor-1')).toEqual(page(1));
  });

  it('forgets a page nobody asked for in time, and one whose read failed', async () => {
    let now = 0;
    const prefetch = createPagePrefetch({ maxPages: 4, ttlMs: 1000, now: () => now });
    prefetch.start(alice, 'late', async () => page(1));
    prefetch.start(alice, 'failed', async () => {
      throw new Error('database away');
    });
    expect(await prefetch.take(alice, 'failed')).toBeNull();
    now = 1000;
    expect(await prefetch.take(alice, 'late')).toBeNull();
  });

  it('reads at most maxPages pages at once, and none when it is 0', async () => {
    let started = 0;
    const pending = () => {
      started++;
      return new Promise<DownloadResult>(() => {});
    };
    const two = createPagePrefetch({ maxPages: 2, ttlMs: 1000 });
    for (let i = 0; i < 3; i++) two.start(alice, `cursor-${i}`, pending);
    expect(started).toBe(2);
    const off = createPagePrefetch({ maxPages: 0, ttlMs: 1000 });
    off.start(alice, 'cursor', pending);
    expect(started).toBe(2);
  });

  it('keeps at most maxPages pages waiting, dropping the oldest', async () => {
    const prefetch = createPagePrefetch({ maxPages: 2, ttlMs: 1000 });
    for (let i = 0; i < 3; i++) {
      prefetch.start(alice, `cursor-${i}`, async () => page(i));
      await prefetch.settle();
    }
    expect(await prefetch.take(alice, 'cursor-0')).toBeNull();
    expect(await prefetch.take(alice, 'cursor-2')).toEqual(page(2));
  });

  it('settle waits for the reads still running', async () => {
    const prefetch = createPagePrefetch({ maxPages: 2, ttlMs: 1000 });
    let done = false;
    prefetch.start(alice, 'cursor', () => new Promise((resolve) => setTimeout(() => resolve(page(1)), 20)).then((p) => ((done = true), p as DownloadResult)));
    await prefetch.settle();
    expect(done).toBe(true);
  });
});
