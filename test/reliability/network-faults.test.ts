import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSyncDatabase, type Database } from '../../client-sdk/src/index.ts';
import { createMemoryStorage } from '../../client-sdk/src/storage/memory-storage.ts';
import { customers } from '../support/demo.ts';
import { faultyNetwork, isDownloadPage, isSynchronize, type FaultyNetwork } from '../support/faults.ts';
import { graphql } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Network faults between a device (the SDK) and the server. After each, and a normal sync, the
 * device and the server agree, nothing was applied twice (the hook-set completedAt and the
 * version prove it) and nothing the device committed was lost.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { downloadPageSize: 3, downloadResetPageSize: 3 } });
});
afterAll(() => server.close());

async function device(user = 'alice'): Promise<{ db: Database; net: FaultyNetwork }> {
  const net = faultyNetwork(server.fetch);
  const db = await openSyncDatabase({ url: server.url, fetch: net.fetch, token: `dev:${user}`, storage: createMemoryStorage() });
  await db.synchronize();
  return { db, net };
}

/** A committed new work order on the device, then marked DONE in a second committed edit. */
async function offlineWork(db: Database, title: string) {
  const orders = db.entity('WorkOrder');
  const order = await orders.create({ title, customerId: customers.harbor, assigneeId: 'alice' }, { commit: true });
  await orders.update(order.id, { status: 'DONE', hoursSpent: 1.5 }, { commit: true });
  return order.id;
}

async function serverCopies(title: string) {
  const response = await graphql<{ workOrders: { items: { id: string; version: number; status: string; completedAt: string | null }[] } }>(
    server,
    'admin',
    'query($title: String) { workOrders(filter: { title: $title }) { items { id version status completedAt } } }',
    { title },
  );
  return response.data!.workOrders.items;
}

/** The invariants every fault must leave true after a normal sync. */
async function expectConsistent(db: Database, id: string, title: string) {
  const copies = await serverCopies(title);
  expect(copies).toHaveLength(1);
  expect(copies[0]).toMatchObject({ id, version: 1, status: 'DONE' });
  expect(copies[0]!.completedAt).toBeTruthy();
  const local = db.entity('WorkOrder').get(id)!;
  expect(local).toMatchObject({ status: 'DONE', hoursSpent: 1.5, version: 1, completedAt: copies[0]!.completedAt });
  expect(db.unsynchronizedObjects()).toEqual([]);
  expect(db.failures.list()).toEqual([]);
}

describe('network faults', () => {
  it('a request dropped before the server: nothing applied anywhere, the next sync applies it once', async () => {
    const { db, net } = await device();
    const id = await offlineWork(db, 'fault: drop-request');
    net.inject('drop-request', isSynchronize);
    await expect(db.synchronize()).rejects.toMatchObject({ kind: 'network' });
    expect(await serverCopies('fault: drop-request')).toEqual([]);
    expect(db.unsynchronizedObjects()).toEqual([{ entity: 'WorkOrder', id }]);
    await db.synchronize();
    await expectConsistent(db, id, 'fault: drop-request');
  });

  it('a response dropped after the server committed: the retry replays it, nothing applied twice', async () => {
    const { db, net } = await device();
    const id = await offlineWork(db, 'fault: drop-response');
    net.inject('drop-response', isSynchronize);
    await expect(db.synchronize()).rejects.toBeTruthy();
    expect(await serverCopies('fault: drop-response')).toHaveLength(1);
    const report = await db.synchronize();
    expect(report.retried).toBe(true);
    expect(report.replayed).toBe(true);
    await expectConsistent(db, id, 'fault: drop-response');
  });

  it('a download cut midway: the device stays as it was and the next sync completes it', async () => {
    const { db, net } = await device();
    // Enough new objects for the download to come in several pages (the page size is 3).
    for (let i = 0; i < 4; i++) {
      await graphql(server, 'admin', 'mutation($input: ChangeSet!) { synchronize(input: $input) { syncId } }', {
        input: { clientId: 'admin', syncId: crypto.randomUUID(), changes: [{ WorkOrder: { id: crypto.randomUUID(), op: 'CREATE', values: { title: `page filler ${i}`, customerId: customers.harbor, assigneeId: 'alice' } } }] },
      });
    }
    const id = await offlineWork(db, 'fault: cut-download');
    const before = db.entity('WorkOrder').get(id);
    net.inject('cut-response', isDownloadPage);
    await expect(db.synchronize()).rejects.toBeTruthy();
    expect(db.entity('WorkOrder').get(id)).toEqual(before);
    await db.synchronize();
    await expectConsistent(db, id, 'fault: cut-download');
  });

  it('a response body cut in the first page: nothing applied on the device, the upload replayed', async () => {
    const { db, net } = await device();
    const id = await offlineWork(db, 'fault: cut-response');
    net.inject('cut-response', isSynchronize);
    await expect(db.synchronize()).rejects.toBeTruthy();
    expect(db.entity('WorkOrder').get(id)!.completedAt ?? null).toBeNull();
    await db.synchronize();
    await expectConsistent(db, id, 'fault: cut-response');
  });

  it('a request duplicated on the way: applied once', async () => {
    const { db, net } = await device();
    const id = await offlineWork(db, 'fault: duplicate');
    net.inject('duplicate', isSynchronize);
    await db.synchronize();
    expect(net.delivered).toBeGreaterThanOrEqual(2);
    await expectConsistent(db, id, 'fault: duplicate');
  });

  it('a delayed request: edits made meanwhile are kept for the next sync (R22), a second sync is refused (R20)', async () => {
    const { db, net } = await device();
    const id = await offlineWork(db, 'fault: delay');
    net.inject('hold', isSynchronize);
    const running = db.synchronize();
    await net.held();
    await expect(db.synchronize()).rejects.toThrow('Performing simultaneous synchronizations is not supported.');
    await db.entity('WorkOrder').update(id, { description: 'written while syncing' }, { commit: true });
    net.release();
    await running;
    expect(db.unsynchronizedObjects()).toEqual([{ entity: 'WorkOrder', id }]);
    await db.synchronize();
    const [copy] = await serverCopies('fault: delay');
    expect(copy).toMatchObject({ id, version: 2 });
    expect(db.entity('WorkOrder').get(id)).toMatchObject({ description: 'written while syncing', version: 2 });
  });
});
