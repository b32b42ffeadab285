import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIndexedDbStorage, failureContent } from '../../client-sdk/src/index.ts';
import { createWorkOrder, customers, readObject } from '../support/demo.ts';
import { change, sync } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { openDevice } from './support/devices.ts';

/** SDK scenarios against the real server: R2, R5, R6, R7, R8, R13, R15, R16, R23. */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** A work order created on the server (by admin) and assigned to `assignee`. */
async function serverWorkOrder(assignee: string, values: Record<string, unknown> = {}): Promise<string> {
  const wo = createWorkOrder(assignee, values);
  await sync(server, 'admin', { changes: [wo.change] });
  return wo.id;
}

describe('R2 committed vs uncommitted', () => {
  it('R2: an uncommitted new object is skipped by a selective sync, with no error and no failure', async () => {
    const db = await openDevice(server, 'alice');
    const orders = db.entity('WorkOrder');
    const draft = await orders.create({ title: 'Not yet', customerId: customers.harbor, assigneeId: 'alice' });
    expect(draft.$status.isNew).toBe(true);

    const report = await db.synchronize({ mode: 'selected', objects: [{ entity: 'WorkOrder', id: draft.id }] });

    expect(report.skipped).toEqual([{ entity: 'WorkOrder', id: draft.id }]);
    expect(report.uploaded).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(db.failures.list()).toEqual([]);
    expect(orders.get(draft.id)).toMatchObject({ title: 'Not yet', $status: { isNew: true } });
    expect(await readObject(server, 'admin', 'workOrder', draft.id, 'id')).toBeNull();

    // Once committed, the same selective sync uploads it.
    await orders.commit(draft.id);
    const second = await db.synchronize({ mode: 'selected', objects: [{ entity: 'WorkOrder', id: draft.id }] });
    expect(second.uploaded).toMatchObject([{ id: draft.id, op: 'CREATE', status: 'applied', version: 1 }]);
    expect(orders.get(draft.id)).toMatchObject({ version: 1, status: 'OPEN', $status: { pending: null, isNew: false } });
  });

  it('R2: uncommitted edits survive full and selective syncs, untouched and not uploaded', async () => {
    const id = await serverWorkOrder('alice', { description: 'server text' });
    const db = await openDevice(server, 'alice');
    await db.synchronize();
    const orders = db.entity('WorkOrder');
    await orders.update(id, { title: 'Typed on the device', hoursSpent: 2 });
    // Meanwhile someone else changes another attribute on the server.
    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id, op: 'UPDATE', baseVersion: 1, values: { description: 'admin text' }, base: { description: 'server text' } })],
    });

    await db.synchronize();
    await db.synchronize({ mode: 'selected', objects: [{ entity: 'WorkOrder', id }] });
    const report = await db.synchronize({ mode: 'unsynchronized' });

    expect(report.syncIds).toEqual([]);
    expect(orders.get(id)).toMatchObject({
      title: 'Typed on the device',
      hoursSpent: 2,
      description: 'admin text',
      version: 2,
      $status: { uncommittedAttributes: ['title', 'hoursSpent'], pending: null },
    });
    expect(await readObject(server, 'admin', 'workOrder', id, 'title hoursSpent')).toMatchObject({ hoursSpent: 0 });

    await orders.rollback(id);
    expect(orders.get(id)).toMatchObject({ hoursSpent: 0, description: 'admin text', $status: { hasUncommittedChanges: false } });
  });
});

describe('R8 server logic reaches the device', () => {
  it("R8/R16: the hook's completedAt appears locally after a selective sync of the object", async () => {
    const id = await serverWorkOrder('alice');
    const db = await openDevice(server, 'alice');
    await db.synchronize();
    const orders = db.entity('WorkOrder');
    expect(orders.get(id)?.completedAt).toBeNull();

    await orders.update(id, { status: 'DONE' }, { commit: true });
    const report = await db.synchronize({ mode: 'selected', objects: [{ entity: 'WorkOrder', id }] });

    expect(report.uploaded).toMatchObject([{ id, op: 'UPDATE', status: 'applied', version: 2 }]);
    expect(report.reset).toBe(false);
    const done = orders.get(id);
    expect(done).toMatchObject({ status: 'DONE', version: 2, $status: { pending: null } });
    expect(done?.completedAt).toEqual(expect.any(String));
    expect(done?.completedAt).toBe((await readObject(server, 'admin', 'workOrder', id, 'completedAt'))?.completedAt);
  });
});

describe('R13 failures reach the app with the content that was sent', () => {
  it('R13: a validation failure refreshes the object to the server state and keeps the sent content', async () => {
    const id = await serverWorkOrder('alice');
    const db = await openDevice(server, 'alice');
    await db.synchronize();
    await db.entity('WorkOrder').update(id, { hoursSpent: -3 }, { commit: true });

    const report = await db.synchronize({ mode: 'unsynchronized' });

    const [outcome] = report.uploaded;
    expect(outcome).toMatchObject({ id, status: 'failed', removed: false, failure: { reason: 'VALIDATION', objectId: id } });
    expect(outcome?.failure && failureContent(outcome.failure)).toEqual({ op: 'UPDATE', baseVersion: 1, values: { hoursSpent: -3 }, base: { hoursSpent: 0 } });
    expect(db.entity('WorkOrder').get(id)).toMatchObject({ hoursSpent: 0, version: 1, $status: { pending: null } });
    expect(db.failures.list({ objectId: id })).toMatchObject([{ reason: 'VALIDATION', content: { values: { hoursSpent: -3 } } }]);
  });

  it('R7: attribute-level denial applies the allowed attribute and records the denied one', async () => {
    const db = await openDevice(server, 'alice');
    await db.synchronize();
    const customer = db.entity('Customer').get(customers.school)!;
    await db.entity('Customer').update(customer.id, { name: 'Renamed by alice', phone: '+31 20 555 0303' }, { commit: true });

    const report = await db.synchronize({ mode: 'selected', objects: [{ entity: 'Customer', id: customer.id }] });

    expect(report.uploaded[0]?.failure).toMatchObject({ reason: 'ACCESS_DENIED', entity: 'Customer', objectId: customer.id });
    expect(db.entity('Customer').get(customer.id)).toMatchObject({ name: customer.name, phone: '+31 20 555 0303', $status: { pending: null } });
    expect(db.failures.list({ objectId: customer.id })).toHaveLength(1);
  });

  it('R7: a create the viewer may not make is removed locally, its failure kept', async () => {
    const db = await openDevice(server, 'alice');
    const forBob = await db.entity('WorkOrder').create({ title: 'For bob', customerId: customers.harbor, assigneeId: 'bob' }, { commit: true });

    const report = await db.synchronize({ mode: 'unsynchronized' });

    expect(report.uploaded).toMatchObject([{ id: forBob.id, op: 'CREATE', status: 'failed', removed: true, failure: { reason: 'ACCESS_DENIED' } }]);
    expect(report.removed).toContainEqual({ entity: 'WorkOrder', id: forBob.id, reason: 'deleted' });
    expect(db.entity('WorkOrder').get(forBob.id)).toBeUndefined();
    expect(failureContent(db.failures.list({ objectId: forBob.id })[0]!)).toMatchObject({ op: 'CREATE', values: { title: 'For bob', assigneeId: 'bob' } });
  });

  it('R6: an update of an object deleted on the server fails NOT_FOUND and the object leaves the device', async () => {
    const id = await serverWorkOrder('alice');
    const db = await openDevice(server, 'alice');
    await db.synchronize();
    await sync(server, 'admin', { changes: [change('WorkOrder', { id, op: 'DELETE', baseVersion: 1 })] });
    await db.entity('WorkOrder').update(id, { description: 'offline notes' }, { commit: true });

    const report = await db.synchronize({ mode: 'unsynchronized' });

    expect(report.uploaded).toMatchObject([{ id, status: 'failed', removed: true, failure: { reason: 'NOT_FOUND' } }]);
    expect(report.removed).toContainEqual({ entity: 'WorkOrder', id, reason: 'deleted' });
    expect(db.entity('WorkOrder').get(id)).toBeUndefined();
    expect(failureContent(db.failures.list({ objectId: id })[0]!)).toMatchObject({ op: 'UPDATE', values: { description: 'offline notes' } });
  });

  it('R13: a failure record can be resolved on the server from the device', async () => {
    const id = await serverWorkOrder('alice');
    const db = await openDevice(server, 'alice');
    await db.synchronize();
    await db.entity('WorkOrder').update(id, { hoursSpent: -1 }, { commit: true });
    const { failures } = await db.synchronize({ mode: 'unsynchronized' });
    const failureId = failures[0]!.id;

    const resolved = await db.failures.resolve(failureId);

    expect(resolved.resolvedAt).toEqual(expect.any(String));
    expect(db.failures.get(failureId)).toBeUndefined();
  });
});

describe('R5 attribute merge through the SDK', () => {
  it('R5: two devices editing different attributes of one object converge to both edits', async () => {
    const id = await serverWorkOrder('alice', { description: 'original' });
    const phone = await openDevice(server, 'alice');
    const tablet = await openDevice(server, 'alice');
    await phone.synchronize();
    await tablet.synchronize();

    await phone.entity('WorkOrder').update(id, { hoursSpent: 4 }, { commit: true });
    await tablet.entity('WorkOrder').update(id, { description: 'tablet notes' }, { commit: true });
    expect((await phone.synchronize()).uploaded).toMatchObject([{ id, status: 'applied' }]);
    expect((await tablet.synchronize()).uploaded).toMatchObject([{ id, status: 'merged' }]);
    await phone.synchronize();

    for (const device of [phone, tablet]) {
      expect(device.entity('WorkOrder').get(id)).toMatchObject({ hoursSpent: 4, description: 'tablet notes', version: 3, $status: { pending: null } });
    }
  });
});

describe('R14/R15 full sync', () => {
  it('R15: upload-only Feedback is cleared from the device after it is uploaded', async () => {
    const db = await openDevice(server, 'alice');
    const feedback = await db.entity('Feedback').create({ text: 'Great app', rating: 5 }, { commit: true });
    const draft = await db.entity('Feedback').create({ text: 'still typing' });

    const report = await db.synchronize();

    expect(report.uploaded).toMatchObject([{ entity: 'Feedback', id: feedback.id, status: 'applied' }]);
    expect(report.removed).toContainEqual({ entity: 'Feedback', id: feedback.id, reason: 'cleared' });
    expect(db.entity('Feedback').list().map((f) => f.id)).toEqual([draft.id]);
    expect(await readObject(server, 'alice', 'feedback', feedback.id, 'text')).toEqual({ text: 'Great app' });
  });

  it('R14: a full sync removes objects the viewer can no longer read, and keeps pending creates', async () => {
    const reassigned = await serverWorkOrder('alice');
    const db = await openDevice(server, 'alice');
    await db.synchronize();
    expect(db.entity('WorkOrder').get(reassigned)).toBeDefined();
    const local = await db.entity('WorkOrder').create({ title: 'Local only', customerId: customers.harbor, assigneeId: 'alice' });
    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id: reassigned, op: 'UPDATE', baseVersion: 1, values: { assigneeId: 'bob' }, base: { assigneeId: 'alice' } })],
    });

    const report = await db.synchronize();

    expect(report.removed).toContainEqual(expect.objectContaining({ entity: 'WorkOrder', id: reassigned }));
    expect(db.entity('WorkOrder').get(reassigned)).toBeUndefined();
    expect(db.entity('WorkOrder').get(local.id)).toMatchObject({ title: 'Local only', $status: { isNew: true } });
    expect(db.entity('WorkOrder').list({ where: { assigneeId: 'bob' } })).toEqual([]);
    expect(db.checkpoint).toEqual(expect.any(String));
  });
});

describe('docs/client-sdk.md', () => {
  it('the example runs: first sync, offline edit and commit, selective sync with a skipped draft', async () => {
    const db = await openDevice(server, 'alice', { storage: createIndexedDbStorage({ name: 'field-service:alice', indexedDB: new IDBFactory() }) });
    await db.synchronize();
    const orders = db.entity('WorkOrder');
    const [order] = orders.list({ where: { status: 'OPEN' }, orderBy: 'dueDate' });
    if (!order) throw new Error('the demo data has open work orders for alice');
    await orders.update(order.id, { hoursSpent: 2.5, status: 'DONE' });
    await orders.commit(order.id);
    const draft = await orders.create({ title: 'Check pressure valve', customerId: order.customerId, assigneeId: 'alice' });

    const report = await db.synchronize({ mode: 'selected', objects: [{ entity: 'WorkOrder', id: order.id }, { entity: 'WorkOrder', id: draft.id }] });

    expect(report.uploaded).toMatchObject([{ id: order.id, status: 'applied' }]);
    expect(report.skipped).toEqual([{ entity: 'WorkOrder', id: draft.id }]);
    expect(orders.get(order.id)?.completedAt).toEqual(expect.any(String));
  });
});
