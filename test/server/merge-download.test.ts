import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../server/src/sync/checkpoint.ts';
import { change, isDeleted, sync, upsertedOf, uuid } from '../support/graphql.ts';
import { createWorkOrder, customers, readObject } from '../support/demo.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** R5 (attribute merge, demo default), R14 (full sync) and R16 (selective sync). */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('R5 attribute-level merge', () => {
  it('R5: two devices editing different attributes of one work order both keep their edit', async () => {
    const wo = createWorkOrder('alice', { description: 'original', hoursSpent: 0 });
    await sync(server, 'alice', { changes: [wo.change] });
    const phone = await sync(server, 'alice', {
      clientId: 'phone',
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 4 }, base: { hoursSpent: 0 } })],
    });
    expect(phone.outcomes[0]).toMatchObject({ status: 'APPLIED', version: 2 });
    // The tablet never saw version 2: its change is merged onto it.
    const tablet = await sync(server, 'alice', {
      clientId: 'tablet',
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { description: 'tablet notes' }, base: { description: 'original' } })],
    });
    expect(tablet.outcomes[0]).toMatchObject({ status: 'MERGED', version: 3 });
    expect(upsertedOf(tablet, 'WorkOrder', wo.id)).toMatchObject({ hoursSpent: 4, description: 'tablet notes' });
  });

  it("R5: by default the device's value wins for an attribute both changed", async () => {
    const wo = createWorkOrder('alice', { description: 'v0' });
    await sync(server, 'alice', { changes: [wo.change] });
    await sync(server, 'admin', { changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { description: 'admin' }, base: { description: 'v0' } })] });
    const result = await sync(server, 'alice', {
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { description: 'alice' }, base: { description: 'v0' } })],
    });
    expect(result.failures).toEqual([]);
    expect(upsertedOf(result, 'WorkOrder', wo.id)!.description).toBe('alice');
  });

  it('R5: null clears an attribute, absent leaves it unchanged', async () => {
    const wo = createWorkOrder('alice', { description: 'keep', dueDate: '2030-01-01' });
    await sync(server, 'alice', { changes: [wo.change] });
    const result = await sync(server, 'alice', {
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { dueDate: null }, base: { dueDate: '2030-01-01' } })],
    });
    expect(upsertedOf(result, 'WorkOrder', wo.id)).toMatchObject({ dueDate: null, description: 'keep' });
  });
});

describe('R14 full sync', () => {
  it("R14: the first full sync downloads the viewer's complete data set, marked as reset, with a checkpoint", async () => {
    const result = await sync(server, 'bob');
    expect(result.reset).toBe(true);
    expect(result.hasMore).toBe(false);
    expect(decodeCheckpoint(result.checkpoint)).not.toBeNull();
    const customersDownloaded = result.upserted.filter((o) => o.__typename === 'Customer').map((o) => o.id);
    expect(customersDownloaded).toEqual(expect.arrayContaining(Object.values(customers)));
    const workOrders = result.upserted.filter((o) => o.__typename === 'WorkOrder');
    expect(workOrders.length).toBeGreaterThanOrEqual(2);
    expect(workOrders.every((w) => w.assigneeId === 'bob')).toBe(true);
    expect(result.upserted.some((o) => o.__typename === 'Feedback')).toBe(false);
  });

  it('R14: a full sync after an upload contains the post-commit state of the uploaded objects', async () => {
    const wo = createWorkOrder('bob', { status: 'DONE' });
    const result = await sync(server, 'bob', { checkpoint: (await sync(server, 'bob')).checkpoint, changes: [wo.change] });
    expect(upsertedOf(result, 'WorkOrder', wo.id)!.completedAt).toBeTruthy();
  });

  it('R14: an object deleted on the server is absent from the next full sync', async () => {
    const wo = createWorkOrder('bob');
    await sync(server, 'bob', { changes: [wo.change] });
    await sync(server, 'admin', { changes: [change('WorkOrder', { id: wo.id, op: 'DELETE', baseVersion: 1 })] });
    const result = await sync(server, 'bob');
    expect(result.reset).toBe(true);
    expect(upsertedOf(result, 'WorkOrder', wo.id)).toBeUndefined();
  });

  it('R15: uploaded Feedback (NOTHING_CLEAR) is not downloaded back', async () => {
    const id = uuid();
    const result = await sync(server, 'alice', { changes: [change('Feedback', { id, op: 'CREATE', values: { text: 'Thanks' } })] });
    expect(result.outcomes[0]!.status).toBe('APPLIED');
    expect(result.upserted.some((o) => o.__typename === 'Feedback')).toBe(false);
    expect(isDeleted(result, 'Feedback', id)).toBe(false);
  });
});

describe('R16 selective sync', () => {
  it('R16: uploads the selected changes, returns exactly the selected objects with hook changes, keeps the checkpoint', async () => {
    const wo = createWorkOrder('alice');
    const other = createWorkOrder('alice');
    const full = await sync(server, 'alice', { changes: [wo.change, other.change] });
    const result = await sync(server, 'alice', {
      checkpoint: full.checkpoint,
      selection: [{ entity: 'WorkOrder', id: wo.id }],
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { status: 'DONE' }, base: { status: 'OPEN' } })],
    });
    expect(result.reset).toBe(false);
    expect(result.checkpoint).toBe(full.checkpoint);
    expect(result.upserted.map((o) => o.id)).toEqual([wo.id]);
    expect(result.upserted[0]).toMatchObject({ status: 'DONE', version: 2 });
    expect(result.upserted[0]!.completedAt).toBeTruthy();
  });

  it('R16: a selected object that was deleted or is not readable comes back in deleted', async () => {
    const gone = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [gone.change] });
    await sync(server, 'admin', { changes: [change('WorkOrder', { id: gone.id, op: 'DELETE', baseVersion: 1 })] });
    const bobs = createWorkOrder('bob');
    await sync(server, 'bob', { changes: [bobs.change] });
    const result = await sync(server, 'alice', {
      selection: [
        { entity: 'WorkOrder', id: gone.id },
        { entity: 'WorkOrder', id: bobs.id },
        { entity: 'Customer', id: customers.harbor },
      ],
    });
    expect(result.deleted).toEqual(expect.arrayContaining([{ entity: 'WorkOrder', id: gone.id }, { entity: 'WorkOrder', id: bobs.id }]));
    expect(result.upserted.map((o) => o.id)).toEqual([customers.harbor]);
    expect(result.checkpoint).toBe('');
  });

  it('R16: download modes do not apply to selective sync (a NOTHING_CLEAR object can be selected)', async () => {
    const id = uuid();
    await sync(server, 'alice', { changes: [change('Feedback', { id, op: 'CREATE', values: { text: 'Selected' } })] });
    const result = await sync(server, 'alice', { selection: [{ entity: 'Feedback', id }] });
    expect(upsertedOf(result, 'Feedback', id)).toMatchObject({ text: 'Selected', authorId: 'alice' });
    expect(await readObject(server, 'bob', 'feedback', id, 'id')).toBeNull();
  });
});
