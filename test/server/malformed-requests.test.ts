import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { change, graphql, syncRaw, uuid, synchronizeDocument } from '../support/graphql.ts';
import { countRows, createWorkOrder } from '../support/demo.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** R11: malformed requests are refused whole with a clear error, and nothing is applied. */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { maxChanges: 5, maxBodyBytes: 20_000 } });
});
afterAll(() => server.close());

/** Sends a request and checks that nothing reached the database. */
async function expectNothingApplied(send: () => Promise<{ status: number; message: string | undefined }>) {
  const before = await Promise.all(['work_order', 'customer', 'sync_uploads', 'sync_failures'].map((t) => countRows(server, t)));
  const outcome = await send();
  const after = await Promise.all(['work_order', 'customer', 'sync_uploads', 'sync_failures'].map((t) => countRows(server, t)));
  expect(after).toEqual(before);
  return outcome;
}

async function post(body: string, contentType = 'application/json') {
  const response = await server.fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: 'Bearer dev:alice' },
    body,
  });
  const text = await response.text();
  let message: string | undefined;
  try {
    message = (JSON.parse(text) as { errors?: { message: string }[] }).errors?.[0]?.message;
  } catch {
    message = text;
  }
  return { status: response.status, message };
}

const valid = () => createWorkOrder('alice').change;

describe('R11 malformed requests', () => {
  it('R11: a body that is not GraphQL is refused', async () => {
    const outcome = await expectNothingApplied(() => post('this is not json'));
    expect(outcome.status).toBe(400);
    const notQuery = await expectNothingApplied(() => post(JSON.stringify({ query: 'mutation { synchronize(' })));
    expect(notQuery.message).toMatch(/Syntax Error/);
  });

  it('R11: wrong scalar types refuse the whole change set, valid changes included', async () => {
    const outcome = await expectNothingApplied(async () => {
      const r = await syncRaw(server, 'alice', { changes: [valid(), change('WorkOrder', { id: uuid(), op: 'CREATE', values: { title: 'x', hoursSpent: 'lots' } })] });
      return { status: r.status, message: r.errors?.[0]?.message };
    });
    expect(outcome.message).toMatch(/Float cannot represent/);
    const badDate = await syncRaw(server, 'alice', { changes: [change('WorkOrder', { id: uuid(), op: 'CREATE', values: { title: 'x', dueDate: '2026-13-45' } })] });
    expect(badDate.errors?.[0]?.message).toMatch(/expected YYYY-MM-DD/);
    const badEnum = await syncRaw(server, 'alice', { changes: [change('WorkOrder', { id: uuid(), op: 'CREATE', values: { title: 'x', status: 'FINISHED' } })] });
    expect(badEnum.errors?.[0]?.message).toMatch(/WorkOrderStatus/);
  });

  it('R11: an id that is not a UUID refuses the whole change set', async () => {
    const outcome = await expectNothingApplied(async () => {
      const r = await syncRaw(server, 'alice', { changes: [valid(), change('WorkOrder', { id: 'wo-1', op: 'CREATE', values: { title: 'x' } })] });
      return { status: r.status, message: r.errors?.[0]?.message };
    });
    expect(outcome.message).toBe('changes[1]: id "wo-1" is not a UUID');
  });

  it('R11: an unknown entity is refused', async () => {
    const outcome = await expectNothingApplied(async () => {
      const r = await syncRaw(server, 'alice', { changes: [valid(), { Invoice: { id: uuid(), op: 'CREATE', values: {} } }] });
      return { status: r.status, message: r.errors?.[0]?.message };
    });
    expect(outcome.message).toMatch(/"Invoice" is not defined by type "ObjectChange"/);
    const selection = await syncRaw(server, 'alice', { selection: [{ entity: 'Invoice', id: uuid() }] });
    expect(selection.errors?.[0]?.message).toMatch(/SyncEntity/);
  });

  it('R11: a change naming two entities at once, or none, is refused', async () => {
    const c = valid() as Record<string, unknown>;
    const two = await syncRaw(server, 'alice', { changes: [{ ...c, Customer: { id: uuid(), op: 'DELETE' } }] });
    expect(two.errors?.[0]?.message).toMatch(/ObjectChange/);
    const none = await syncRaw(server, 'alice', { changes: [{}] });
    expect(none.errors?.[0]?.message).toMatch(/ObjectChange/);
  });

  it('R11: missing required fields are refused', async () => {
    const noOp = await syncRaw(server, 'alice', { changes: [{ WorkOrder: { id: uuid(), values: { title: 'x' } } }] });
    expect(noOp.errors?.[0]?.message).toMatch(/"op" of required type "ChangeOp!" was not provided/);
    const noClient = await graphql(server, 'alice', synchronizeDocument(), { input: { syncId: uuid(), changes: [] } });
    expect(noClient.errors?.[0]?.message).toMatch(/"clientId" of required type/);
    const createWithoutValues = await syncRaw(server, 'alice', { changes: [change('WorkOrder', { id: uuid(), op: 'CREATE' })] });
    expect(createWithoutValues.errors?.[0]).toMatchObject({ message: 'changes[0]: a CREATE needs values', extensions: { code: 'BAD_REQUEST' } });
  });

  it('R11: a body over the size limit gets HTTP 413', async () => {
    const big = Array.from({ length: 4 }, () => createWorkOrder('alice', { description: 'x'.repeat(6000) }).change);
    const outcome = await expectNothingApplied(async () => {
      const r = await syncRaw(server, 'alice', { changes: big });
      return { status: r.status, message: r.errors?.[0]?.message };
    });
    expect(outcome).toEqual({ status: 413, message: 'The request body is larger than the limit of 20000 bytes' });
  });

  it('R11: a change set over the change limit is refused', async () => {
    const changes = Array.from({ length: 6 }, valid);
    const outcome = await expectNothingApplied(async () => {
      const r = await syncRaw(server, 'alice', { changes });
      return { status: r.status, message: r.errors?.[0]?.message };
    });
    expect(outcome.message).toBe('The change set has 6 changes; at most 5 are accepted in one synchronization');
  });
});
