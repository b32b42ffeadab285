import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  openSyncDatabase,
  SyncRequestError,
  type StoreEvent,
  type SyncResultFieldsFragment,
  type SyncStatus,
  type Transport,
} from '../../client-sdk/src/index.ts';
import { readObject } from '../support/demo.ts';
import { change, graphql, sync, uuid } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { interceptDownloadPage, openDevice } from './support/devices.ts';

/** Paged downloads through the SDK (R17): pages staged, applied at once, an interrupted one leaves the device unchanged. */

const PAGE_SIZE = 3;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { downloadPageSize: PAGE_SIZE, downloadResetPageSize: PAGE_SIZE } });
});
afterAll(() => server.close());

/** How many customers and work orders alice may have on her device. */
async function aliceObjectCount(): Promise<number> {
  const response = await graphql<{ customers: { totalCount: number }; workOrders: { totalCount: number } }>(
    server,
    'alice',
    '{ customers { totalCount } workOrders { totalCount } }',
  );
  return response.data!.customers.totalCount + response.data!.workOrders.totalCount;
}

/** `n` customers created on the server by admin. */
async function serverCustomers(n: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: n }, () => uuid());
  await sync(server, 'admin', { changes: ids.map((id, i) => change('Customer', { id, op: 'CREATE', values: { name: `${prefix} ${i}` } })) });
  return ids;
}

describe('R17 paged downloads', () => {
  it('R17: the pages of a download are fetched, staged and applied at once, with progress per page', async () => {
    await serverCustomers(4, 'Paged');
    const expected = await aliceObjectCount();
    const customersWhenPaged: number[] = [];
    const db = await openDevice(server, 'alice', {
      fetch: interceptDownloadPage(server.fetch, async (forward) => {
        // Nothing of the download is on the device while pages are still coming.
        customersWhenPaged.push(db.entity('Customer').list().length);
        return forward();
      }),
    });
    const events: StoreEvent[] = [];
    db.subscribe((event) => events.push(event));
    const seen: SyncStatus[] = [];
    db.onSyncStatus((status) => seen.push(status));

    const report = await db.synchronize();

    expect(customersWhenPaged.length).toBeGreaterThanOrEqual(Math.ceil(expected / PAGE_SIZE) - 1);
    expect(customersWhenPaged.every((n) => n === 0)).toBe(true);
    expect(report).toMatchObject({ reset: true, downloaded: expected });
    expect(db.entity('Customer').list().length + db.entity('WorkOrder').list().length).toBe(expected);
    expect(events.filter((event) => event.source === 'sync')).toHaveLength(1);
    // Progress after each staged page: objects so far, totals once the last page is in.
    const staged = seen.flatMap((s) => (s.progress?.phase === 'download' && s.progress.objects.done > 0 ? [s.progress] : []));
    const counts = [...new Set(staged.map((p) => p.objects.done))];
    expect(counts.slice(0, -1)).toEqual(Array.from({ length: counts.length - 1 }, (_, i) => (i + 1) * PAGE_SIZE));
    expect(counts.at(-1)).toBe(expected);
    expect(staged.at(-1)).toMatchObject({ objects: { done: expected, total: expected } });
    expect(staged.at(-1)?.bytes.done).toBe(staged.at(-1)?.bytes.total);
    expect(staged.filter((p) => p.objects.done < expected).every((p) => p.objects.total === null)).toBe(true);
  });

  it('R17: a download cut on its second further page leaves the device unchanged; the next sync completes it', async () => {
    let pagesSeen = 0;
    let failOnPage: number | null = null;
    const db = await openDevice(server, 'alice', {
      fetch: interceptDownloadPage(server.fetch, async (forward, n) => {
        pagesSeen = n;
        if (n === failOnPage) throw new TypeError('fetch failed: connection reset');
        return forward();
      }),
    });
    await db.synchronize();
    const customer = db.entity('Customer').list({ orderBy: 'id' })[0]!;
    await db.entity('Customer').update(customer.id, { phone: '+31 6 0000 0003' }, { commit: true });
    const added = await serverCustomers(2 * PAGE_SIZE + 1, 'While away');
    const before = {
      customers: db.entity('Customer').list({ orderBy: 'id' }),
      orders: db.entity('WorkOrder').list({ orderBy: 'id' }),
      checkpoint: db.checkpoint,
    };
    // The synchronize request brings the first page; the second downloadPage request after it fails.
    failOnPage = pagesSeen + 2;

    const error = await db.synchronize().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SyncRequestError);
    expect(error).toMatchObject({ kind: 'network' });
    expect({
      customers: db.entity('Customer').list({ orderBy: 'id' }),
      orders: db.entity('WorkOrder').list({ orderBy: 'id' }),
      checkpoint: db.checkpoint,
    }).toEqual(before);
    expect(db.entity('Customer').get(customer.id)?.$status.pending).toBe('UPDATE');
    expect(db.inFlightSyncId).toEqual(expect.any(String));
    // The upload itself was applied on the server.
    expect(await readObject(server, 'admin', 'customer', customer.id, 'phone')).toEqual({ phone: '+31 6 0000 0003' });

    const report = await db.synchronize();

    expect(report).toMatchObject({ retried: true, replayed: true, reset: false });
    expect(report.uploaded).toMatchObject([{ entity: 'Customer', id: customer.id, status: 'applied' }]);
    expect(added.every((id) => db.entity('Customer').get(id) !== undefined)).toBe(true);
    expect(db.entity('Customer').get(customer.id)).toMatchObject({ phone: '+31 6 0000 0003', $status: { pending: null } });
    expect(db.inFlightSyncId).toBeNull();
    expect(db.checkpoint).not.toBe(before.checkpoint);
  });
});

describe('R17 paged downloads: the device and the server overlap', () => {
  /** A transport serving a full download of `pages` pages of one customer each; `fail` makes a page's request fail. */
  function pagedTransport(pages: number, log: string[], fail?: { page: number; error: Error }): Transport {
    const page = (syncId: string, n: number): SyncResultFieldsFragment => ({
      syncId,
      checkpoint: 'cp',
      hasMore: n < pages,
      nextPage: n < pages ? `p${n + 1}` : null,
      reset: true,
      replayed: false,
      upserted: [{ __typename: 'Customer', id: `c${n}`, version: 1, createdAt: 't', changedAt: 't', name: `Customer ${n}`, address: null, phone: null }],
      deleted: [],
      files: [],
      failures: [],
      outcomes: [],
    });
    const refuse = () => Promise.reject(new Error('not in this test'));
    return {
      synchronize: async ({ input }) => {
        log.push('synchronize');
        return page(input.syncId, 1);
      },
      downloadPage: async (cursor) => {
        log.push(`request ${cursor}`);
        const n = Number(cursor.slice(1));
        // Answered later, as over a network: the device stages meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (fail?.page === n) throw fail.error;
        return page('s', n);
      },
      read: refuse,
      syncEntities: async () => [{ entity: 'Customer', downloadMode: 'ALL', isFile: false }],
      synchronizationFailures: async () => [],
      resolveSynchronizationFailure: refuse,
    };
  }

  it('R17: the next page is requested as soon as a page is in, before the device stages that page', async () => {
    const log: string[] = [];
    const db = await openSyncDatabase({ url: 'http://unused', transport: pagedTransport(3, log), storage: createMemoryStorage() });
    db.onSyncStatus(({ progress }) => progress?.phase === 'download' && log.push(`staged ${progress.objects.done}`));

    const report = await db.synchronize();

    expect(log).toEqual(['synchronize', 'request p2', 'staged 1', 'request p3', 'staged 2', 'staged 3']);
    expect(report).toMatchObject({ reset: true, downloaded: 3 });
    expect(db.entity('Customer').list().map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
  });

  it('R17: a page request that fails while the previous page is staged fails the sync and leaves the device unchanged', async () => {
    const log: string[] = [];
    const error = new SyncRequestError('network', 'connection reset');
    const db = await openSyncDatabase({ url: 'http://unused', transport: pagedTransport(4, log, { page: 3, error }), storage: createMemoryStorage() });

    await expect(db.synchronize()).rejects.toBe(error);

    // No page was asked for after the failed one, and nothing of the download was applied.
    expect(log).toEqual(['synchronize', 'request p2', 'request p3']);
    expect(db.entity('Customer').list()).toEqual([]);
    expect(db.checkpoint).toBeNull();
    // Nothing was uploaded, so nothing stays in flight: the next sync simply downloads again.
    expect(db.inFlightSyncId).toBeNull();
    expect(db.syncStatus).toMatchObject({ running: false, lastError: error });
  });
});
