import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIndexedDbStorage } from '../../client-sdk/src/index.ts';
import { createWorkOrder, customers, readObject } from '../support/demo.ts';
import { sync } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { interceptSynchronize, openDevice } from './support/devices.ts';

/** Persistence across an app restart with the IndexedDB adapter (fake-indexeddb in Node). */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

it('data, pending changes, in-flight syncId, checkpoint and failure records survive a restart with IndexedDB', async () => {
  const [a, b, e] = [createWorkOrder('alice'), createWorkOrder('alice', { description: 'server' }), createWorkOrder('alice')];
  await sync(server, 'admin', { changes: [a.change, b.change, e.change] });
  const indexedDB = new IDBFactory();
  let loseResponse = false;
  const fetch = interceptSynchronize(server.fetch, async (forward) => {
    const response = await forward();
    if (loseResponse) throw new TypeError('fetch failed');
    return response;
  });
  const before = await openDevice(server, 'alice', { storage: createIndexedDbStorage({ name: 'field-app:alice', indexedDB }), fetch });
  await before.synchronize();
  const orders = before.entity('WorkOrder');
  await orders.update(e.id, { hoursSpent: -1 }, { commit: true });
  await before.synchronize({ mode: 'selected', objects: [{ entity: 'WorkOrder', id: e.id }] });
  await orders.update(a.id, { hoursSpent: 5 }, { commit: true });
  const created = await orders.create({ title: 'Created offline', customerId: customers.bakery, assigneeId: 'alice' }, { commit: true });
  loseResponse = true;
  await expect(before.synchronize({ mode: 'unsynchronized' })).rejects.toMatchObject({ kind: 'network' });
  loseResponse = false;
  // Made after the lost upload: must not be part of its retry.
  await orders.update(b.id, { description: 'typed, not committed' });
  const draft = await orders.create({ title: 'Draft' });
  const state = {
    clientId: before.clientId,
    checkpoint: before.checkpoint,
    inFlightSyncId: before.inFlightSyncId,
    failures: before.failures.list(),
    orders: orders.list({ orderBy: 'id' }),
    customers: before.entity('Customer').list({ orderBy: 'id' }),
  };
  expect(state.inFlightSyncId).toEqual(expect.any(String));
  expect(state.checkpoint).toEqual(expect.any(String));
  expect(state.failures).toHaveLength(1);
  await before.close();

  const after = await openDevice(server, 'alice', { storage: createIndexedDbStorage({ name: 'field-app:alice', indexedDB }), fetch });

  expect({
    clientId: after.clientId,
    checkpoint: after.checkpoint,
    inFlightSyncId: after.inFlightSyncId,
    failures: after.failures.list(),
    orders: after.entity('WorkOrder').list({ orderBy: 'id' }),
    customers: after.entity('Customer').list({ orderBy: 'id' }),
  }).toEqual(state);
  expect(after.entity('WorkOrder').get(a.id)?.$status).toMatchObject({ pending: 'UPDATE', changedAttributes: ['hoursSpent'] });
  expect(after.entity('WorkOrder').get(b.id)?.$status.uncommittedAttributes).toEqual(['description']);
  expect(after.entity('WorkOrder').get(draft.id)?.$status.isNew).toBe(true);

  const report = await after.synchronize({ mode: 'unsynchronized' });

  expect(report).toMatchObject({ retried: true, replayed: true, syncIds: [state.inFlightSyncId] });
  expect(report.uploaded.map((o) => [o.id, o.status])).toEqual([
    [a.id, 'applied'],
    [created.id, 'applied'],
  ]);
  expect(await readObject(server, 'admin', 'workOrder', a.id, 'hoursSpent version')).toEqual({ hoursSpent: 5, version: 2 });
  expect(after.entity('WorkOrder').get(b.id)).toMatchObject({ description: 'typed, not committed', version: 1 });
  expect(after.entity('WorkOrder').get(draft.id)?.$status.isNew).toBe(true);
  expect(after.unsynchronizedObjects()).toEqual([]);
  await after.close();
});
