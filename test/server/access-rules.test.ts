import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { change, graphql, isDeleted, sync, upsertedOf, uuid } from '../support/graphql.ts';
import { createWorkOrder, customers, readObject } from '../support/demo.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** R6 (gone or inaccessible objects), R7 (access rules) and R13 (failure records). */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function aliceWorkOrder(values: Record<string, unknown> = {}) {
  const wo = createWorkOrder('alice', values);
  await sync(server, 'alice', { changes: [wo.change] });
  return wo.id;
}

describe('R6 updates of objects gone from the server or out of reach', () => {
  it('R6: an update to an object deleted on the server gives NOT_FOUND with the sent values and puts it in deleted', async () => {
    const id = await aliceWorkOrder();
    await sync(server, 'admin', { changes: [change('WorkOrder', { id, op: 'DELETE', baseVersion: 1 })] });
    const values = { hoursSpent: 2.5, description: 'Fixed the leak' };
    const base = { hoursSpent: 0, description: null };
    const result = await sync(server, 'alice', { changes: [change('WorkOrder', { id, op: 'UPDATE', baseVersion: 1, values, base })] });
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({
      reason: 'NOT_FOUND',
      entity: 'WorkOrder',
      objectId: id,
      content: { op: 'UPDATE', baseVersion: 1, values, base },
    });
    expect(isDeleted(result, 'WorkOrder', id)).toBe(true);
    expect(result.outcomes[0]!.status).toBe('FAILED');
  });

  it('R6: an update to an object the viewer can no longer access gives ACCESS_DENIED and puts it in deleted', async () => {
    const id = await aliceWorkOrder();
    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id, op: 'UPDATE', baseVersion: 1, values: { assigneeId: 'bob' }, base: { assigneeId: 'alice' } })],
    });
    const result = await sync(server, 'alice', {
      changes: [change('WorkOrder', { id, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 1 }, base: { hoursSpent: 0 } })],
    });
    expect(result.failures[0]).toMatchObject({ reason: 'ACCESS_DENIED', objectId: id, content: { values: { hoursSpent: 1 } } });
    expect(isDeleted(result, 'WorkOrder', id)).toBe(true);
    expect(upsertedOf(result, 'WorkOrder', id)).toBeUndefined();
    // Bob's copy kept its state: alice's change was discarded.
    expect(await readObject(server, 'bob', 'workOrder', id, 'hoursSpent assigneeId')).toEqual({ hoursSpent: 0, assigneeId: 'bob' });
  });
});

describe('R7 access rules', () => {
  it("R7: a fieldworker writing a customer's name gets ACCESS_DENIED while phone is applied", async () => {
    const id = customers.bakery;
    const before = (await readObject(server, 'alice', 'customer', id, 'name phone version'))!;
    const result = await sync(server, 'alice', {
      changes: [
        change('Customer', {
          id,
          op: 'UPDATE',
          baseVersion: before.version as number,
          values: { name: 'Renamed by alice', phone: '+31 6 1234 5678' },
          base: { name: before.name, phone: before.phone },
        }),
      ],
    });
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ reason: 'ACCESS_DENIED', content: { values: { name: 'Renamed by alice' } } });
    expect(result.failures[0]!.content.values).not.toHaveProperty('phone');
    expect(result.failures[0]!.message).toMatch(/name/);
    const after = upsertedOf(result, 'Customer', id)!;
    expect(after).toMatchObject({ name: before.name, phone: '+31 6 1234 5678' });
    expect(result.outcomes[0]).toMatchObject({ status: 'APPLIED', failureId: result.failures[0]!.id });
  });

  it('R7: a change that only writes denied attributes changes nothing', async () => {
    const before = (await readObject(server, 'bob', 'customer', customers.school, 'name version'))!;
    const result = await sync(server, 'bob', {
      changes: [change('Customer', { id: customers.school, op: 'UPDATE', baseVersion: before.version as number, values: { address: 'Elsewhere' }, base: { address: null } })],
    });
    expect(result.failures[0]!.reason).toBe('ACCESS_DENIED');
    expect(upsertedOf(result, 'Customer', customers.school)!.version).toBe(before.version);
  });

  it("R7: bob can neither read nor write alice's work orders", async () => {
    const id = await aliceWorkOrder({ title: 'Alice only' });
    expect(await readObject(server, 'bob', 'workOrder', id, 'id')).toBeNull();
    const list = await graphql<{ workOrders: { items: { assigneeId: string }[] } }>(server, 'bob', `{ workOrders(first: 1000) { items { assigneeId } } }`);
    expect(list.data!.workOrders.items.every((w) => w.assigneeId === 'bob')).toBe(true);
    const full = await sync(server, 'bob');
    expect(upsertedOf(full, 'WorkOrder', id)).toBeUndefined();
    const selective = await sync(server, 'bob', { selection: [{ entity: 'WorkOrder', id }] });
    expect(selective.upserted).toEqual([]);
    expect(isDeleted(selective, 'WorkOrder', id)).toBe(true);
    const write = await sync(server, 'bob', {
      changes: [
        change('WorkOrder', { id, op: 'UPDATE', baseVersion: 1, values: { title: 'Bob was here' }, base: { title: 'Alice only' } }),
      ],
    });
    expect(write.failures[0]!.reason).toBe('ACCESS_DENIED');
    const del = await sync(server, 'bob', { changes: [change('WorkOrder', { id, op: 'DELETE', baseVersion: 1 })] });
    expect(del.failures[0]!.reason).toBe('ACCESS_DENIED');
    expect(await readObject(server, 'alice', 'workOrder', id, 'title')).toEqual({ title: 'Alice only' });
  });

  it('R7: a fieldworker creates only work orders assigned to themself, cannot hand one over, and cannot create customers', async () => {
    const forBob = createWorkOrder('bob');
    const customer = uuid();
    const mine = await aliceWorkOrder();
    const result = await sync(server, 'alice', {
      changes: [
        forBob.change,
        change('Customer', { id: customer, op: 'CREATE', values: { name: 'New customer' } }),
        change('WorkOrder', { id: mine, op: 'UPDATE', baseVersion: 1, values: { assigneeId: 'bob' }, base: { assigneeId: 'alice' } }),
      ],
    });
    expect(result.failures.map((f) => [f.objectId, f.reason])).toEqual([
      [forBob.id, 'ACCESS_DENIED'],
      [customer, 'ACCESS_DENIED'],
      [mine, 'ACCESS_DENIED'],
    ]);
    expect(isDeleted(result, 'WorkOrder', forBob.id)).toBe(true);
    expect(isDeleted(result, 'Customer', customer)).toBe(true);
    expect(upsertedOf(result, 'WorkOrder', mine)!.assigneeId).toBe('alice');
  });

  it('R7: downloads contain only what the viewer may read', async () => {
    const result = await sync(server, 'alice');
    const workOrders = result.upserted.filter((o) => o.__typename === 'WorkOrder');
    expect(workOrders.length).toBeGreaterThan(0);
    expect(workOrders.every((w) => w.assigneeId === 'alice')).toBe(true);
    const admin = await sync(server, 'admin');
    expect(new Set(admin.upserted.filter((o) => o.__typename === 'WorkOrder').map((w) => w.assigneeId))).toEqual(new Set(['alice', 'bob']));
  });
});

describe('R13 failure records', () => {
  const FAILURES = `query($includeResolved: Boolean) { synchronizationFailures(includeResolved: $includeResolved, first: 1000) { id entity objectId reason message content syncId clientId viewerId createdAt resolvedAt } }`;

  it('R13: a failure keeps entity, object, reason, message, content, viewer, clientId, syncId and time, and is listed and resolved by its viewer', async () => {
    const bad = createWorkOrder('alice', { hoursSpent: -3 });
    const syncId = uuid();
    const result = await sync(server, 'alice', { clientId: 'phone-7', syncId, changes: [bad.change] });
    const failure = result.failures[0]!;
    expect(failure).toMatchObject({
      entity: 'WorkOrder',
      objectId: bad.id,
      reason: 'VALIDATION',
      syncId,
      clientId: 'phone-7',
      viewerId: 'alice',
      content: { op: 'CREATE', values: { hoursSpent: -3, assigneeId: 'alice' } },
    });
    expect(failure.message).toMatch(/hoursSpent/);
    const listed = await graphql<{ synchronizationFailures: { id: string }[] }>(server, 'alice', FAILURES);
    expect(listed.data!.synchronizationFailures.map((f) => f.id)).toContain(failure.id);

    const bobList = await graphql<{ synchronizationFailures: { id: string }[] }>(server, 'bob', FAILURES);
    expect(bobList.data!.synchronizationFailures.map((f) => f.id)).not.toContain(failure.id);
    const bobResolve = await graphql(server, 'bob', `mutation($id: ID!) { resolveSynchronizationFailure(id: $id) { id } }`, { id: failure.id });
    expect(bobResolve.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const adminList = await graphql<{ synchronizationFailures: { id: string }[] }>(server, 'admin', FAILURES);
    expect(adminList.data!.synchronizationFailures.map((f) => f.id)).toContain(failure.id);

    const resolved = await graphql<{ resolveSynchronizationFailure: { resolvedAt: string | null } }>(
      server,
      'alice',
      `mutation($id: ID!) { resolveSynchronizationFailure(id: $id) { resolvedAt } }`,
      { id: failure.id },
    );
    expect(resolved.data!.resolveSynchronizationFailure.resolvedAt).toBeTruthy();
    const open = await graphql<{ synchronizationFailures: { id: string }[] }>(server, 'alice', FAILURES);
    expect(open.data!.synchronizationFailures.map((f) => f.id)).not.toContain(failure.id);
    const all = await graphql<{ synchronizationFailures: { id: string }[] }>(server, 'alice', FAILURES, { includeResolved: true });
    expect(all.data!.synchronizationFailures.map((f) => f.id)).toContain(failure.id);
  });
});
