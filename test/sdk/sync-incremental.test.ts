import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStorage, type StorageAdapter, type StorageWrite } from '../../client-sdk/src/index.ts';
import { createWorkOrder, customers, readObject } from '../support/demo.ts';
import { change, sync, uuid } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { agedCheckpoint, openDevice } from './support/devices.ts';

/** Incremental full sync through the SDK (R14) and an expired checkpoint (R19). */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** A customer created on the server by admin. */
async function serverCustomer(name: string): Promise<string> {
  const id = uuid();
  await sync(server, 'admin', { changes: [change('Customer', { id, op: 'CREATE', values: { name } })] });
  return id;
}

async function serverWorkOrder(assignee: string): Promise<string> {
  const wo = createWorkOrder(assignee);
  await sync(server, 'admin', { changes: [wo.change] });
  return wo.id;
}

describe('R14 incremental full sync', () => {
  it('R14: after the first complete download, a full sync downloads only what changed', async () => {
    const db = await openDevice(server, 'alice');
    const first = await db.synchronize();
    expect(first.reset).toBe(true);
    expect(first.downloaded).toBe(db.entity('Customer').list().length + db.entity('WorkOrder').list().length);
    expect(db.checkpoint).toEqual(expect.any(String));

    const idle = await db.synchronize();
    expect(idle).toMatchObject({ reset: false, downloaded: 0, removed: [] });

    const before = await readObject(server, 'admin', 'customer', customers.school, 'version phone');
    const phone = `+31 20 555 ${String(before?.version).padStart(4, '0')}`;
    await sync(server, 'admin', {
      changes: [change('Customer', { id: customers.school, op: 'UPDATE', baseVersion: before?.version as number, values: { phone }, base: { phone: before?.phone } })],
    });
    const changed = await db.synchronize();
    expect(changed).toMatchObject({ reset: false, downloaded: 1, removed: [] });
    expect(db.entity('Customer').get(customers.school)?.phone).toBe(phone);
  });

  it('R14/R21: a sync with nothing to upload stores one batch: what it downloaded and the new checkpoint', async () => {
    const memory = createMemoryStorage();
    const batches: StorageWrite[][] = [];
    const storage: StorageAdapter = { ...memory, write: (writes) => (batches.push([...writes]), memory.write(writes)) };
    const db = await openDevice(server, 'alice', { storage });
    await db.synchronize();
    const stored = (batch: StorageWrite[]) => batch.map((write) => `${write.store}:${write.key}`);

    batches.length = 0;
    await db.synchronize();
    expect(batches.map(stored)).toEqual([['meta:checkpoint']]);

    batches.length = 0;
    await db.synchronize({ mode: 'selected', objects: [{ entity: 'Customer', id: customers.school }] });
    expect(batches.map(stored)).toEqual([[`objects:Customer:${customers.school}`]]);
  });

  it("R14: a work order reassigned from alice to bob leaves alice's device and reaches bob's", async () => {
    const id = await serverWorkOrder('alice');
    const alice = await openDevice(server, 'alice');
    const bob = await openDevice(server, 'bob');
    await alice.synchronize();
    await bob.synchronize();
    expect(alice.entity('WorkOrder').get(id)).toBeDefined();
    expect(bob.entity('WorkOrder').get(id)).toBeUndefined();

    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id, op: 'UPDATE', baseVersion: 1, values: { assigneeId: 'bob' }, base: { assigneeId: 'alice' } })],
    });
    const aliceReport = await alice.synchronize();
    const bobReport = await bob.synchronize();

    expect(aliceReport.reset).toBe(false);
    expect(aliceReport.removed).toEqual([{ entity: 'WorkOrder', id, reason: 'deleted' }]);
    expect(alice.entity('WorkOrder').get(id)).toBeUndefined();
    expect(bobReport).toMatchObject({ reset: false, downloaded: 1 });
    expect(bob.entity('WorkOrder').get(id)).toMatchObject({ assigneeId: 'bob', version: 2 });
  });

  it('R14: a customer deleted by the admin leaves every device; unknown deleted keys are ignored', async () => {
    const id = await serverCustomer('Short-lived');
    const devices = [await openDevice(server, 'alice'), await openDevice(server, 'bob')];
    for (const db of devices) await db.synchronize();
    expect(devices.map((db) => db.entity('Customer').get(id)?.name)).toEqual(['Short-lived', 'Short-lived']);
    // Created and deleted between two syncs: the devices never had it.
    const never = await serverCustomer('Never seen');

    await sync(server, 'admin', { changes: [change('Customer', { id, op: 'DELETE', baseVersion: 1 }), change('Customer', { id: never, op: 'DELETE', baseVersion: 1 })] });

    for (const db of devices) {
      const report = await db.synchronize();
      expect(report).toMatchObject({ reset: false, removed: [{ entity: 'Customer', id, reason: 'deleted' }] });
      expect(db.entity('Customer').get(id)).toBeUndefined();
      expect(db.entity('Customer').get(never)).toBeUndefined();
    }
  });
});

describe('R19 expired checkpoint', () => {
  it('R19: a checkpoint older than the retention gets a complete download; pending changes and edits are kept', async () => {
    const storage = createMemoryStorage();
    const gone = await serverCustomer('Deleted while away');
    const id = await serverWorkOrder('alice');
    let db = await openDevice(server, 'alice', { storage });
    await db.synchronize();
    const orders = db.entity('WorkOrder');
    await orders.update(id, { hoursSpent: 4 }, { commit: true });
    await orders.update(id, { description: 'typing…' });
    await sync(server, 'admin', { changes: [change('Customer', { id: gone, op: 'DELETE', baseVersion: 1 })] });
    // The device was away for 31 days: its checkpoint is older than the 30 days of tombstones.
    const checkpoint = db.checkpoint!;
    await db.close();
    await storage.write([{ store: 'meta', key: 'checkpoint', value: agedCheckpoint(checkpoint, 31) }]);
    db = await openDevice(server, 'alice', { storage });

    const report = await db.synchronize();

    expect(report.reset).toBe(true);
    expect(report.uploaded).toMatchObject([{ entity: 'WorkOrder', id, status: 'applied', version: 2 }]);
    expect(report.removed).toEqual([{ entity: 'Customer', id: gone, reason: 'reset' }]);
    expect(report.downloaded).toBe(db.entity('Customer').list().length + db.entity('WorkOrder').list().length);
    expect(db.entity('WorkOrder').get(id)).toMatchObject({
      hoursSpent: 4,
      description: 'typing…',
      version: 2,
      $status: { pending: null, uncommittedAttributes: ['description'] },
    });
    expect(await readObject(server, 'admin', 'workOrder', id, 'hoursSpent description')).toEqual({ hoursSpent: 4, description: null });
    expect(db.checkpoint).not.toBe(checkpoint);
    expect((await db.synchronize()).reset).toBe(false);
  });
});
