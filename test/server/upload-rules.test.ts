import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createDemoRegistry } from '../../server/src/demo/entities.ts';
import { purgeExpired } from '../../server/src/sync/retention.ts';
import { change, graphql, sync, syncRaw, upsertedOf, uuid } from '../support/graphql.ts';
import { countRows, createWorkOrder, customers, readObject } from '../support/demo.ts';
import { demoRegistryWithWorkOrderHooks } from '../support/hooked-registry.ts';
import { databaseKind } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Upload rules R1, R2, R3, R4, R10, R12 through the GraphQL endpoint. */

// The demo registry with WorkOrder's hooks counted, to prove exactly-once hook runs (R4).
const hookRuns = new Map<string, number>();
const registry = demoRegistryWithWorkOrderHooks({
  afterCommit: ({ row }) => {
    hookRuns.set(row.id as string, (hookRuns.get(row.id as string) ?? 0) + 1);
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ registry, config: { seedDemoData: false } });
  // The counted registry is not the demo one, so seed its customers by hand.
  await sync(server, 'admin', {
    changes: Object.values(customers).map((id, i) => change('Customer', { id, op: 'CREATE', values: { name: `Customer ${i}` } })),
  });
});
afterAll(() => server.close());

describe('R1 ids from the device, system fields from the server', () => {
  it('R1: keeps the device id and sets version, createdAt, changedAt and calculated attributes itself', async () => {
    const wo = createWorkOrder('alice', { dueDate: '2000-01-01' });
    const first = await sync(server, 'alice', { changes: [wo.change] });
    const created = upsertedOf(first, 'WorkOrder', wo.id)!;
    expect(created).toMatchObject({ id: wo.id, version: 1, isOverdue: true, status: 'OPEN', hoursSpent: 0 });
    expect(Date.parse(created.createdAt as string)).not.toBeNaN();
    const second = await sync(server, 'alice', {
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { title: 'Renamed' }, base: { title: created.title } })],
    });
    const updated = upsertedOf(second, 'WorkOrder', wo.id)!;
    expect(updated.version).toBe(2);
    expect(updated.createdAt).toBe(created.createdAt);
    expect(Date.parse(updated.changedAt as string)).toBeGreaterThanOrEqual(Date.parse(created.changedAt as string));
  });

  it('R1: a device cannot send version, completedAt or a calculated attribute', async () => {
    for (const values of [{ title: 'x', version: 7 }, { title: 'x', completedAt: '2026-01-01T00:00:00Z' }, { title: 'x', isOverdue: false }]) {
      const response = await syncRaw(server, 'alice', { changes: [change('WorkOrder', { id: uuid(), op: 'CREATE', values })] });
      expect(response.errors?.[0]?.message).toMatch(/is not defined by type "WorkOrderValues"/);
    }
  });
});

describe('R2 only committed changes are uploaded (the server side)', () => {
  it('R2: a selective sync of an object the server never received answers without error or failure record', async () => {
    const neverUploaded = uuid();
    const result = await sync(server, 'alice', { selection: [{ entity: 'WorkOrder', id: neverUploaded }] });
    expect(result.failures).toEqual([]);
    expect(result.deleted).toEqual([{ entity: 'WorkOrder', id: neverUploaded }]);
    expect(result.upserted).toEqual([]);
  });
});

describe('R3 one transaction, one savepoint per change', () => {
  it('R3: a failing change is rolled back alone and the others commit', async () => {
    const good1 = createWorkOrder('alice');
    const bad = createWorkOrder('alice', { hoursSpent: -5 });
    const good2 = createWorkOrder('alice');
    const result = await sync(server, 'alice', { changes: [good1.change, bad.change, good2.change] });
    expect(result.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'FAILED', 'APPLIED']);
    expect(result.failures).toHaveLength(1);
    expect(await readObject(server, 'alice', 'workOrder', good1.id, 'id')).not.toBeNull();
    expect(await readObject(server, 'alice', 'workOrder', good2.id, 'id')).not.toBeNull();
    expect(await readObject(server, 'alice', 'workOrder', bad.id, 'id')).toBeNull();
  });

  it('R3: a change whose hook fails after writing leaves nothing of that change behind', async () => {
    // The validate hook rejects after the row was built; nothing of it may be in the database.
    const before = await countRows(server, 'work_order');
    const bad = createWorkOrder('alice', { title: '   ' });
    const result = await sync(server, 'alice', { changes: [bad.change] });
    expect(result.failures[0]!.reason).toBe('VALIDATION');
    expect(await countRows(server, 'work_order')).toBe(before);
  });
});

describe('R4 exactly once per (clientId, syncId)', () => {
  it('R4: a retried syncId after a lost response applies nothing again and the hook ran once', async () => {
    const wo = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [wo.change] });
    const syncId = uuid();
    const done = change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { status: 'DONE' }, base: { status: 'OPEN' } });
    const first = await sync(server, 'alice', { clientId: 'tablet-1', syncId, changes: [done] });
    const completedAt = upsertedOf(first, 'WorkOrder', wo.id)!.completedAt;
    expect(completedAt).toBeTruthy();
    // Meanwhile the admin changes the title; the retry must not overwrite it.
    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 2, values: { title: 'Admin title' }, base: { title: 'x' } })],
    });
    const retry = await sync(server, 'alice', { clientId: 'tablet-1', syncId, changes: [done] });
    expect(retry.replayed).toBe(true);
    expect(retry.outcomes).toEqual(first.outcomes);
    const after = upsertedOf(retry, 'WorkOrder', wo.id)!;
    expect(after).toMatchObject({ version: 3, title: 'Admin title', status: 'DONE', completedAt });
    expect(hookRuns.get(wo.id)).toBe(3); // create, alice's DONE, admin's title: never the retry
  });

  it('R4: the recorded outcome is compressed with lz4 where the database has it (PostgreSQL, not PGlite)', async () => {
    const rows = (await server.database.db.execute(
      sql`select attcompression::text as method from pg_attribute where attrelid = 'sync_uploads'::regclass and attname = 'outcome'`,
    )) as unknown as { method: string }[] | { rows: { method: string }[] };
    const [column] = Array.isArray(rows) ? rows : rows.rows;
    expect(column!.method).toBe(databaseKind === 'postgres' ? 'l' : '');
  });

  it('R4: the same upload sent twice at once is applied once', async () => {
    const wo = createWorkOrder('alice');
    const syncId = uuid();
    const [a, b] = await Promise.all([
      sync(server, 'alice', { clientId: 'tablet-2', syncId, changes: [wo.change] }),
      sync(server, 'alice', { clientId: 'tablet-2', syncId, changes: [wo.change] }),
    ]);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    expect(hookRuns.get(wo.id)).toBe(1);
  });

  it('R4: a replay returns the recorded failures, and another user cannot replay the upload', async () => {
    const syncId = uuid();
    const bad = createWorkOrder('alice', { hoursSpent: -1 });
    const first = await sync(server, 'alice', { clientId: 'tablet-3', syncId, changes: [bad.change] });
    const retry = await sync(server, 'alice', { clientId: 'tablet-3', syncId, changes: [bad.change] });
    expect(retry.failures.map((f) => f.id)).toEqual(first.failures.map((f) => f.id));
    const failures = await graphql<{ synchronizationFailures: unknown[] }>(server, 'alice', `{ synchronizationFailures { id syncId } }`);
    expect(failures.data!.synchronizationFailures.filter((f) => (f as { syncId: string }).syncId === syncId)).toHaveLength(1);
    const stolen = await syncRaw(server, 'bob', { clientId: 'tablet-3', syncId, changes: [bad.change] });
    expect(stolen.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('R4: upload records are kept for the retention period and then forgotten', async () => {
    const syncId = uuid();
    await sync(server, 'alice', { clientId: 'tablet-4', syncId, changes: [createWorkOrder('alice').change] });
    const db = server.database.db;
    await db.execute(sql`update sync_uploads set created_at = now() - interval '91 days' where sync_id = ${syncId}`);
    await purgeExpired(db, { uploadRecordDays: 90, tombstoneDays: 30 });
    const left = (await db.execute(sql`select count(*)::int as n from sync_uploads where sync_id = ${syncId}`)) as unknown as { rows?: { n: number }[] } & { n: number }[];
    expect(Number((left.rows ?? left)[0]!.n)).toBe(0);
  });
});

describe('R19 tombstones and row history are kept for the retention period', () => {
  it('R19: row history and tombstones are forgotten after the retention period, not before', async () => {
    const kept = createWorkOrder('alice');
    const expired = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [kept.change, expired.change] });
    await sync(server, 'alice', {
      changes: [
        change('WorkOrder', { id: kept.id, op: 'UPDATE', baseVersion: 1, values: { title: 'Kept' }, base: { title: 'x' } }),
        change('WorkOrder', { id: expired.id, op: 'DELETE', baseVersion: 1 }),
      ],
    });
    const db = server.database.db;
    const count = async (table: 'sync_row_history' | 'sync_tombstones', id: string) => {
      const result = (await db.execute(sql`select count(*)::int as n from ${sql.identifier(table)} where object_id = ${id}`)) as unknown as { rows?: { n: number }[] } & { n: number }[];
      return Number((result.rows ?? result)[0]!.n);
    };
    expect(await count('sync_row_history', kept.id)).toBe(1);
    expect(await count('sync_row_history', expired.id)).toBe(1);
    expect(await count('sync_tombstones', expired.id)).toBe(1);
    await db.execute(sql`update sync_row_history set recorded_at = now() - interval '31 days' where object_id = ${expired.id}`);
    await db.execute(sql`update sync_tombstones set deleted_at = now() - interval '31 days' where object_id = ${expired.id}`);
    await purgeExpired(db, { uploadRecordDays: 90, tombstoneDays: 30 });
    expect(await count('sync_row_history', expired.id)).toBe(0);
    expect(await count('sync_tombstones', expired.id)).toBe(0);
    expect(await count('sync_row_history', kept.id)).toBe(1);
  });
});

describe('R10 creates never duplicate, deletes are idempotent', () => {
  it('R10: a CREATE of an id that already exists never makes a duplicate', async () => {
    const wo = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [wo.change] });
    const before = await countRows(server, 'work_order');
    const again = createWorkOrder('alice', { title: 'Sent again' }, wo.id);
    const result = await sync(server, 'alice', { changes: [again.change] });
    expect(await countRows(server, 'work_order')).toBe(before);
    expect(result.outcomes[0]).toMatchObject({ status: 'MERGED', version: 2 });
    expect(upsertedOf(result, 'WorkOrder', wo.id)!.title).toBe('Sent again');
  });

  it('R10: two uploads creating the same id at once make one object', async () => {
    const wo = createWorkOrder('alice');
    const results = await Promise.all([
      sync(server, 'alice', { clientId: 'twin-a', changes: [wo.change] }),
      sync(server, 'alice', { clientId: 'twin-b', changes: [wo.change] }),
    ]);
    expect(results.flatMap((r) => r.failures)).toEqual([]);
    expect(results.map((r) => r.outcomes[0]!.status).sort()).toEqual(['APPLIED', 'MERGED']);
    const list = await graphql<{ workOrders: { totalCount: number } }>(server, 'admin', `query($id: ID) { workOrders(filter: { id: $id }) { totalCount } }`, { id: wo.id });
    expect(list.data!.workOrders.totalCount).toBe(1);
  });

  // PGlite has one connection: the race needs a second one, so PostgreSQL.
  it.runIf(databaseKind === 'postgres')('R10: a create that loses the race to a concurrent one merges, whatever the primary key constraint is named', async () => {
    const url = (server.database as { url?: string }).url!;
    // Two connections: one holds the competing transaction open, the other watches the upload wait.
    const other = postgres(url, { max: 2, onnotice: () => {} });
    await server.database.db.execute(sql`alter table work_order rename constraint work_order_pkey to work_order_custom_pk`);
    try {
      const wo = createWorkOrder('alice', { title: 'second' });
      const reserved = await other.reserve();
      await reserved`begin`;
      await reserved`insert into work_order (id, title, customer_id, assignee_id) values (${wo.id}, 'first', ${customers.school}, 'alice')`;
      // The upload finds no such object, and its insert waits for the other transaction.
      const racing = sync(server, 'alice', { changes: [wo.change] });
      while ((await other`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'insert into "work_order"%'`).length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await reserved`commit`;
      reserved.release();
      const result = await racing;
      expect(result.failures).toEqual([]);
      expect(result.outcomes[0]).toMatchObject({ status: 'MERGED', version: 2 });
      expect(await readObject(server, 'alice', 'workOrder', wo.id, 'title')).toEqual({ title: 'second' });
    } finally {
      await server.database.db.execute(sql`alter table work_order rename constraint work_order_custom_pk to work_order_pkey`);
      await other.end();
    }
  });

  it('R10: a DELETE of an object already deleted succeeds and does nothing', async () => {
    const wo = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [wo.change] });
    const del = change('WorkOrder', { id: wo.id, op: 'DELETE', baseVersion: 1 });
    const first = await sync(server, 'alice', { changes: [del] });
    const second = await sync(server, 'alice', { changes: [del] });
    for (const result of [first, second]) {
      expect(result.outcomes[0]!.status).toBe('APPLIED');
      expect(result.failures).toEqual([]);
      expect(result.deleted).toContainEqual({ entity: 'WorkOrder', id: wo.id });
    }
  });
});

describe('R12 every change ends committed or recorded', () => {
  it('R12: each change of a mixed set is either on the server or in a stored failure record', async () => {
    const ok = createWorkOrder('alice');
    const invalid = createWorkOrder('alice', { hoursSpent: -2 });
    const dangling = createWorkOrder('alice', { customerId: uuid() });
    const forbidden = createWorkOrder('bob');
    const changes = [ok, invalid, dangling, forbidden];
    const syncId = uuid();
    const result = await sync(server, 'alice', { syncId, changes: changes.map((c) => c.change) });
    const stored = await graphql<{ synchronizationFailures: { id: string; syncId: string }[] }>(server, 'alice', `{ synchronizationFailures(first: 1000) { id syncId } }`);
    const storedIds = new Set(stored.data!.synchronizationFailures.filter((f) => f.syncId === syncId).map((f) => f.id));
    for (const [i, c] of changes.entries()) {
      const outcome = result.outcomes[i]!;
      expect(outcome.id).toBe(c.id);
      if (outcome.status === 'FAILED') expect(storedIds.has(outcome.failureId!)).toBe(true);
      else expect(await readObject(server, 'alice', 'workOrder', c.id, 'id')).not.toBeNull();
    }
    expect(result.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'FAILED', 'FAILED', 'FAILED']);
    expect(storedIds.size).toBe(3);
  });
});

describe('the demo registry', () => {
  it('is the one npm start serves', () => {
    expect(createDemoRegistry().list.map((m) => m.name)).toEqual(['Customer', 'WorkOrder', 'Photo', 'Feedback']);
  });
});
