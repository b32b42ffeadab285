import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { change, sync, upsertedOf, uuid } from '../support/graphql.ts';
import { createWorkOrder, customers, photoValues, readObject } from '../support/demo.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** R8 (hooks, validation, calculated attributes) and R9 (references). */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('R8 hooks and calculated attributes', () => {
  it('R8: status → DONE returns completedAt in the same sync, and leaving DONE clears it', async () => {
    const wo = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [wo.change] });
    const done = await sync(server, 'alice', {
      selection: [{ entity: 'WorkOrder', id: wo.id }],
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { status: 'DONE' }, base: { status: 'OPEN' } })],
    });
    const completedAt = upsertedOf(done, 'WorkOrder', wo.id)!.completedAt as string;
    expect(Date.now() - Date.parse(completedAt)).toBeLessThan(10 * 60 * 1000);
    const reopened = await sync(server, 'alice', {
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 2, values: { status: 'IN_PROGRESS' }, base: { status: 'DONE' } })],
    });
    expect(upsertedOf(reopened, 'WorkOrder', wo.id)).toMatchObject({ status: 'IN_PROGRESS', completedAt: null });
  });

  it('R8: a work order created as DONE gets completedAt', async () => {
    const wo = createWorkOrder('alice', { status: 'DONE' });
    const result = await sync(server, 'alice', { changes: [wo.change] });
    expect(upsertedOf(result, 'WorkOrder', wo.id)!.completedAt).toBeTruthy();
  });

  it('R8: hoursSpent -1 gives VALIDATION and changes nothing', async () => {
    const wo = createWorkOrder('alice', { hoursSpent: 3 });
    await sync(server, 'alice', { changes: [wo.change] });
    const result = await sync(server, 'alice', {
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: -1, title: 'Also renamed' }, base: { hoursSpent: 3, title: 'x' } })],
    });
    expect(result.failures[0]).toMatchObject({ reason: 'VALIDATION', objectId: wo.id });
    expect(result.failures[0]!.message).toMatch(/hoursSpent must be at least 0/);
    // The server state comes back so the device can show what stands.
    expect(upsertedOf(result, 'WorkOrder', wo.id)).toMatchObject({ hoursSpent: 3, version: 1 });
    expect(await readObject(server, 'alice', 'workOrder', wo.id, 'hoursSpent title version')).toMatchObject({ hoursSpent: 3, version: 1 });
  });

  it('R8: a create missing a required attribute is a VALIDATION failure naming it', async () => {
    const id = uuid();
    const result = await sync(server, 'alice', {
      changes: [change('WorkOrder', { id, op: 'CREATE', values: { customerId: customers.harbor, assigneeId: 'alice' } })],
    });
    expect(result.failures[0]).toMatchObject({ reason: 'VALIDATION' });
    expect(result.failures[0]!.message).toMatch(/title is required/);
  });

  it('R8: isOverdue is calculated by the server from dueDate and status', async () => {
    const overdue = createWorkOrder('alice', { dueDate: '2001-01-01' });
    const future = createWorkOrder('alice', { dueDate: '2999-01-01' });
    const doneLate = createWorkOrder('alice', { dueDate: '2001-01-01', status: 'DONE' });
    const result = await sync(server, 'alice', { changes: [overdue.change, future.change, doneLate.change] });
    expect(upsertedOf(result, 'WorkOrder', overdue.id)!.isOverdue).toBe(true);
    expect(upsertedOf(result, 'WorkOrder', future.id)!.isOverdue).toBe(false);
    expect(upsertedOf(result, 'WorkOrder', doneLate.id)!.isOverdue).toBe(false);
  });

  it("R8: Feedback's author is set by its hook, whatever the device sends", async () => {
    const id = uuid();
    const result = await sync(server, 'bob', { changes: [change('Feedback', { id, op: 'CREATE', values: { text: 'Great app', rating: 5 } })] });
    expect(result.outcomes[0]!.status).toBe('APPLIED');
    expect(await readObject(server, 'admin', 'feedback', id, 'authorId text')).toEqual({ authorId: 'bob', text: 'Great app' });
  });
});

describe('R9 references', () => {
  it('R9: a work order referencing an unknown customer gets DANGLING_REFERENCE naming entity, object and reference', async () => {
    const missing = uuid();
    const wo = createWorkOrder('alice', { customerId: missing });
    const result = await sync(server, 'alice', { changes: [wo.change] });
    const failure = result.failures[0]!;
    expect(failure.reason).toBe('DANGLING_REFERENCE');
    expect(failure.message).toContain(`WorkOrder ${wo.id}`);
    expect(failure.message).toContain(`customerId references Customer ${missing}`);
    expect(await readObject(server, 'alice', 'workOrder', wo.id, 'id')).toBeNull();
  });

  it("R9: an admin's new customer and new work order in one change set succeed in either order", async () => {
    for (const order of ['customer first', 'work order first']) {
      const customer = uuid();
      const customerChange = change('Customer', { id: customer, op: 'CREATE', values: { name: `New (${order})` } });
      const wo = createWorkOrder('alice', { customerId: customer });
      const changes = order === 'customer first' ? [customerChange, wo.change] : [wo.change, customerChange];
      const result = await sync(server, 'admin', { changes });
      expect(result.failures).toEqual([]);
      expect(result.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'APPLIED']);
      expect(upsertedOf(result, 'WorkOrder', wo.id)!.customerId).toBe(customer);
    }
  });

  it('R9: when the referenced create fails, the referencing object fails with DANGLING_REFERENCE', async () => {
    const customer = uuid();
    const wo = createWorkOrder('alice', { customerId: customer });
    const result = await sync(server, 'admin', {
      changes: [wo.change, change('Customer', { id: customer, op: 'CREATE', values: { address: 'no name' } })],
    });
    expect(result.failures.map((f) => [f.entity, f.reason])).toEqual([
      ['Customer', 'VALIDATION'],
      ['WorkOrder', 'DANGLING_REFERENCE'],
    ]);
  });

  it('R9: a referenced customer cannot be deleted while work orders use it; photos go with their work order', async () => {
    const customer = uuid();
    const wo = createWorkOrder('alice', { customerId: customer });
    const photo = uuid();
    await sync(server, 'admin', {
      changes: [
        change('Customer', { id: customer, op: 'CREATE', values: { name: 'Short-lived' } }),
        wo.change,
        change('Photo', { id: photo, op: 'CREATE', values: await photoValues(server, wo.id) }),
      ],
    });
    const refused = await sync(server, 'admin', { changes: [change('Customer', { id: customer, op: 'DELETE', baseVersion: 1 })] });
    expect(refused.failures[0]!.reason).toBe('VALIDATION');
    expect(refused.failures[0]!.message).toMatch(/still reference/);
    const both = await sync(server, 'admin', {
      changes: [change('Customer', { id: customer, op: 'DELETE', baseVersion: 1 }), change('WorkOrder', { id: wo.id, op: 'DELETE', baseVersion: 1 })],
    });
    expect(both.failures).toEqual([]);
    expect(both.deleted).toEqual(expect.arrayContaining([
      { entity: 'Customer', id: customer },
      { entity: 'WorkOrder', id: wo.id },
      { entity: 'Photo', id: photo },
    ]));
    expect(await readObject(server, 'admin', 'photo', photo, 'id')).toBeNull();
  });
});
