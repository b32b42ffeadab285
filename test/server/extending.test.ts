import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, printSchemaSdl } from '../../server/src/graphql/schema.ts';
import { createRegistry } from '../../server/src/registry/registry.ts';
import { change, graphql, sync, upsertedOf, uuid } from '../support/graphql.ts';
import { equipmentDdl, equipmentEntity } from '../support/equipment-entity.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * The recipe of docs/extending.md: a new entity declared once gets its GraphQL types, queries and
 * synchronization. Also R5's reject and custom merge policies and R8's failing hooks.
 */

const registry = createRegistry([equipmentEntity]);
let server: TestServer;
const logged: unknown[] = [];
beforeAll(async () => {
  server = await startTestServer({
    registry,
    setupSql: equipmentDdl,
    fragments: '... on Equipment { name serialNumber notes counter ownerId }',
  });
});
afterAll(() => server.close());

function createEquipment(owner: string, values: Record<string, unknown> = {}) {
  const id = uuid();
  return { id, change: change('Equipment', { id, op: 'CREATE', values: { name: 'Drill', ownerId: owner, ...values } }) };
}

describe('a new entity in a test registry', () => {
  it('gets its object type, inputs, queries and SyncEntity value from one declaration', () => {
    const sdl = printSchemaSdl(buildSchema(registry));
    expect(sdl).toContain('type Equipment implements SyncObject');
    expect(sdl).toContain('input EquipmentValues');
    expect(sdl).toContain('input EquipmentChange');
    expect(sdl).toMatch(/enum SyncEntity \{\s+Equipment\s+\}/);
    expect(sdl).toContain('equipment(id: ID!): Equipment');
    expect(sdl).toContain('equipmentList(');
    expect(sdl).toContain('ownerId: ID!');
  });

  it('synchronizes: create, full and selective download, read queries, per-user filter', async () => {
    const mine = createEquipment('alice', { serialNumber: 'SN-1' });
    const theirs = createEquipment('bob');
    await sync(server, 'bob', { changes: [theirs.change] });
    const created = await sync(server, 'alice', { changes: [mine.change] });
    expect(upsertedOf(created, 'Equipment', mine.id)).toMatchObject({ version: 1 });
    expect(upsertedOf(created, 'Equipment', theirs.id)).toBeUndefined();
    const list = await graphql<{ equipmentList: { totalCount: number; items: { id: string; serialNumber: string }[] } }>(
      server,
      'alice',
      `{ equipmentList { totalCount items { id serialNumber } } }`,
    );
    expect(list.data!.equipmentList).toEqual({ totalCount: 1, items: [{ id: mine.id, serialNumber: 'SN-1' }] });
    const selective = await sync(server, 'alice', { selection: [{ entity: 'Equipment', id: mine.id }] });
    expect(selective.upserted.map((o) => o.id)).toEqual([mine.id]);
  });
});

describe('R5 merge policies', () => {
  it("R5: 'reject' gives CONFLICT when the server value differs from the sent base, keeping and returning the server state", async () => {
    const e = createEquipment('alice', { serialNumber: 'A' });
    await sync(server, 'alice', { changes: [e.change] });
    await sync(server, 'admin', { changes: [change('Equipment', { id: e.id, op: 'UPDATE', baseVersion: 1, values: { serialNumber: 'B' }, base: { serialNumber: 'A' } })] });
    const result = await sync(server, 'alice', {
      changes: [change('Equipment', { id: e.id, op: 'UPDATE', baseVersion: 1, values: { serialNumber: 'C' }, base: { serialNumber: 'A' } })],
    });
    expect(result.failures[0]).toMatchObject({ reason: 'CONFLICT', content: { values: { serialNumber: 'C' }, base: { serialNumber: 'A' } } });
    expect(result.failures[0]!.message).toContain('serialNumber');
    expect(upsertedOf(result, 'Equipment', e.id)).toMatchObject({ serialNumber: 'B', version: 2 });
  });

  it("R5: 'reject' accepts an update whose base still matches, even when other attributes changed", async () => {
    const e = createEquipment('alice', { serialNumber: 'A', notes: 'n' });
    await sync(server, 'alice', { changes: [e.change] });
    await sync(server, 'admin', { changes: [change('Equipment', { id: e.id, op: 'UPDATE', baseVersion: 1, values: { notes: 'admin' }, base: { notes: 'n' } })] });
    const result = await sync(server, 'alice', {
      changes: [change('Equipment', { id: e.id, op: 'UPDATE', baseVersion: 1, values: { serialNumber: 'C' }, base: { serialNumber: 'A' } })],
    });
    expect(result.failures).toEqual([]);
    expect(result.outcomes[0]!.status).toBe('MERGED');
    expect(upsertedOf(result, 'Equipment', e.id)).toMatchObject({ serialNumber: 'C', notes: 'admin', version: 3 });
  });

  it('R5: a custom resolver decides the value (counter deltas add up across devices)', async () => {
    const e = createEquipment('alice', { counter: 10 });
    await sync(server, 'alice', { changes: [e.change] });
    const plus = (by: number) => change('Equipment', { id: e.id, op: 'UPDATE', baseVersion: 1, values: { counter: 10 + by }, base: { counter: 10 } });
    await sync(server, 'alice', { clientId: 'device-a', changes: [plus(5)] });
    const result = await sync(server, 'alice', { clientId: 'device-b', changes: [plus(2)] });
    expect(upsertedOf(result, 'Equipment', e.id)!.counter).toBe(17);
  });
});

describe('constraints of the schema', () => {
  it("R3: a change breaking a database constraint fails alone with VALIDATION naming it", async () => {
    const first = createEquipment('alice', { serialNumber: 'DUP-1' });
    const second = createEquipment('alice', { serialNumber: 'DUP-1' });
    const other = createEquipment('alice', { serialNumber: 'DUP-2' });
    const result = await sync(server, 'alice', { changes: [first.change, second.change, other.change] });
    expect(result.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'FAILED', 'APPLIED']);
    expect(result.failures[0]).toMatchObject({ reason: 'VALIDATION', objectId: second.id });
    expect(result.failures[0]!.message).toContain('equipment_serial_number_unique');
  });
});

describe('R8 failing hooks', () => {
  it('R8: a hook rejecting with HookError gives HOOK_ERROR with its message', async () => {
    const e = createEquipment('alice', { name: 'explode' });
    const result = await sync(server, 'alice', { changes: [e.change] });
    expect(result.failures[0]).toMatchObject({ reason: 'HOOK_ERROR', message: 'Equipment may not be called explode' });
  });

  it('R8: a hook crashing gives HOOK_ERROR with a generic message; the cause stays on the server', async () => {
    const e = createEquipment('alice', { name: 'crash' });
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args.map((a) => (a instanceof Error ? a.message : a)));
    try {
      const result = await sync(server, 'alice', { changes: [e.change] });
      expect(result.failures[0]).toMatchObject({ reason: 'HOOK_ERROR', message: 'The beforeCommit hook of Equipment failed' });
      expect(JSON.stringify(result)).not.toContain('internal detail');
      expect(JSON.stringify(logged)).toContain('internal detail');
    } finally {
      console.error = original;
    }
  });
});
