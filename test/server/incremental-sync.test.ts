import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../server/src/db/query-rows.ts';
import { workOrders } from '../../server/src/demo/tables.ts';
import { changedRowsQuery, probeChangesQuery } from '../../server/src/sync/changes-since.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../server/src/sync/checkpoint.ts';
import { change, DEMO_FRAGMENTS, graphql, isDeleted, sync, upsertedOf, uuid, type SyncResult } from '../support/graphql.ts';
import { countRows, createWorkOrder, photoValues } from '../support/demo.ts';
import { databaseKind } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** R14 incremental full sync, R18 out-of-order commits, R19 expired checkpoints. */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { tombstoneDays: 30 } });
});
afterAll(() => server.close());


/** The `download` query: a sync with nothing to upload, sendable by GET. */
async function download(user: string, input: { syncId: string; checkpoint: string | null }, selection: { entity: string; id: string }[] | null = null) {
  const query = `query Download($input: DownloadRequest!, $selection: [ObjectRef!]) {
    download(input: $input, selection: $selection) { syncId checkpoint hasMore reset replayed upserted { __typename id version ${DEMO_FRAGMENTS} } deleted { entity id } failures { id } outcomes { id } }
  }`;
  const response = await graphql<{ download: SyncResult }>(server, user, query, { input: { clientId: `device-${user}`, ...input }, selection });
  if (response.errors || !response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.download;
}

describe('the download query', () => {
  it('answers as synchronize with nothing to upload, full or selective, and records nothing', async () => {
    const first = await sync(server, 'alice');
    const wo = createWorkOrder('alice');
    await sync(server, 'admin', { changes: [wo.change] });
    const uploads = await countRows(server, 'sync_uploads');
    const viaDownload = await download('alice', { syncId: 'd1', checkpoint: first.checkpoint });
    const viaSync = await sync(server, 'alice', { syncId: 'd2', checkpoint: first.checkpoint });
    expect(viaDownload).toMatchObject({ syncId: 'd1', reset: false, hasMore: false, replayed: false, failures: [], outcomes: [] });
    expect(viaDownload.upserted).toEqual(viaSync.upserted.map(({ __typename, id, version }) => expect.objectContaining({ __typename, id, version })));
    expect(viaDownload.upserted.map((o) => o.id)).toEqual([wo.id]);
    expect(viaDownload.deleted).toEqual(viaSync.deleted);

    const selected = await download('alice', { syncId: 'd3', checkpoint: viaDownload.checkpoint }, [{ entity: 'WorkOrder', id: wo.id }]);
    expect(selected).toMatchObject({ checkpoint: viaDownload.checkpoint, reset: false });
    expect(selected.upserted.map((o) => o.id)).toEqual([wo.id]);
    expect(await countRows(server, 'sync_uploads')).toBe(uploads);
    // Bob may not read alice's work order: a selective download of it removes it, as synchronize does.
    expect((await download('bob', { syncId: 'd4', checkpoint: null }, [{ entity: 'WorkOrder', id: wo.id }])).deleted).toEqual([{ entity: 'WorkOrder', id: wo.id }]);
  });
});

describe('R14 incremental full sync', () => {
  it('R14: after the first sync, a full sync downloads only what changed since the checkpoint', async () => {
    const first = await sync(server, 'alice');
    expect(first.reset).toBe(true);
    const wo = createWorkOrder('alice');
    await sync(server, 'admin', { changes: [wo.change] });
    const next = await sync(server, 'alice', { checkpoint: first.checkpoint });
    expect(next.reset).toBe(false);
    expect(next.upserted.map((o) => o.id)).toEqual([wo.id]);
    const idle = await sync(server, 'alice', { checkpoint: next.checkpoint });
    expect(idle.upserted).toEqual([]);
    expect(idle.deleted).toEqual([]);
  });

  it('R14: a work order reassigned from alice to bob leaves alice’s device and reaches bob’s', async () => {
    const wo = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [wo.change] });
    const alice = await sync(server, 'alice');
    const bob = await sync(server, 'bob');
    expect(upsertedOf(alice, 'WorkOrder', wo.id)).toBeDefined();
    expect(upsertedOf(bob, 'WorkOrder', wo.id)).toBeUndefined();
    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { assigneeId: 'bob' }, base: { assigneeId: 'alice' } })],
    });
    const aliceNext = await sync(server, 'alice', { checkpoint: alice.checkpoint });
    expect(aliceNext.reset).toBe(false);
    expect(isDeleted(aliceNext, 'WorkOrder', wo.id)).toBe(true);
    const bobNext = await sync(server, 'bob', { checkpoint: bob.checkpoint });
    expect(upsertedOf(bobNext, 'WorkOrder', wo.id)).toMatchObject({ assigneeId: 'bob', version: 2 });
  });

  it('R14: photos follow their work order when it is reassigned, and go when it is deleted', async () => {
    const wo = createWorkOrder('alice');
    const photo = uuid();
    await sync(server, 'alice', { changes: [wo.change, change('Photo', { id: photo, op: 'CREATE', values: await photoValues(server, wo.id) })] });
    const alice = await sync(server, 'alice');
    expect(upsertedOf(alice, 'Photo', photo)).toBeDefined();
    const bob = await sync(server, 'bob');
    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id: wo.id, op: 'UPDATE', baseVersion: 1, values: { assigneeId: 'bob' }, base: { assigneeId: 'alice' } })],
    });
    const aliceNext = await sync(server, 'alice', { checkpoint: alice.checkpoint });
    expect(isDeleted(aliceNext, 'Photo', photo)).toBe(true);
    const bobNext = await sync(server, 'bob', { checkpoint: bob.checkpoint });
    expect(upsertedOf(bobNext, 'Photo', photo)).toBeDefined();
    await sync(server, 'admin', { changes: [change('WorkOrder', { id: wo.id, op: 'DELETE', baseVersion: 2 })] });
    const bobLast = await sync(server, 'bob', { checkpoint: bobNext.checkpoint });
    expect(isDeleted(bobLast, 'Photo', photo)).toBe(true);
    expect(isDeleted(bobLast, 'WorkOrder', wo.id)).toBe(true);
  });

  it('R14: a customer deleted by the admin leaves every device', async () => {
    const customer = uuid();
    await sync(server, 'admin', { changes: [change('Customer', { id: customer, op: 'CREATE', values: { name: 'Closing down' } })] });
    const checkpoints = await Promise.all(['alice', 'bob'].map(async (user) => [user, (await sync(server, user)).checkpoint] as const));
    await sync(server, 'admin', { changes: [change('Customer', { id: customer, op: 'DELETE', baseVersion: 1 })] });
    for (const [user, checkpoint] of checkpoints) {
      const next = await sync(server, user, { checkpoint });
      expect(next.reset).toBe(false);
      expect(isDeleted(next, 'Customer', customer)).toBe(true);
    }
  });

  it("R14: others' objects never reach a device, not even their ids, when they change or go", async () => {
    const bobStart = await sync(server, 'bob');
    const before = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [before.change] });
    const aliceStart = await sync(server, 'alice');
    const after = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [after.change] });
    await sync(server, 'alice', {
      changes: [change('WorkOrder', { id: before.id, op: 'UPDATE', baseVersion: 1, values: { title: 'renamed' }, base: { title: 'x' } })],
    });
    await sync(server, 'admin', { changes: [before, after].map((w) => change('WorkOrder', { id: w.id, op: 'DELETE', baseVersion: 1 })) });
    const bob = await sync(server, 'bob', { checkpoint: bobStart.checkpoint });
    expect(JSON.stringify(bob)).not.toContain(before.id);
    expect(JSON.stringify(bob)).not.toContain(after.id);
    // Alice's device held the first one at its checkpoint, never the second.
    const alice = await sync(server, 'alice', { checkpoint: aliceStart.checkpoint });
    expect(isDeleted(alice, 'WorkOrder', before.id)).toBe(true);
    expect(JSON.stringify(alice)).not.toContain(after.id);
  });

  it('R14: deletes made outside the sync API (an administrator in psql) reach devices too', async () => {
    const wo = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [wo.change] });
    const alice = await sync(server, 'alice');
    await server.database.db.execute(sql`delete from work_order where id = ${wo.id}`);
    const next = await sync(server, 'alice', { checkpoint: alice.checkpoint });
    expect(isDeleted(next, 'WorkOrder', wo.id)).toBe(true);
  });

  it('R14: rows written outside the sync API are stamped with their own transaction, whatever changed_tx they set', async () => {
    const [updated, restamped] = [createWorkOrder('alice'), createWorkOrder('alice')];
    await sync(server, 'alice', { changes: [updated.change, restamped.change] });
    const alice = await sync(server, 'alice');
    const db = server.database.db;
    await db.execute(sql`update work_order set title = 'by psql' where id = ${updated.id}`);
    // A writer that copies an old transaction id (a restore, a careless script) is stamped all the same.
    await db.execute(sql`update work_order set title = 'old stamp', changed_tx = '3'::xid8 where id = ${restamped.id}`);
    const inserted = uuid();
    await db.execute(sql`insert into work_order (id, title, customer_id, assignee_id, changed_tx)
      values (${inserted}, 'inserted by psql', '00000000-0000-4000-8000-000000000001', 'alice', '3'::xid8)`);
    const next = await sync(server, 'alice', { checkpoint: alice.checkpoint });
    expect(upsertedOf(next, 'WorkOrder', updated.id)?.title).toBe('by psql');
    expect(upsertedOf(next, 'WorkOrder', restamped.id)?.title).toBe('old stamp');
    expect(upsertedOf(next, 'WorkOrder', inserted)?.title).toBe('inserted by psql');
  });

  it('R14: the cost of an incremental download grows with the changes, not with the data', async () => {
    const db = server.database.db;
    await db.execute(sql`insert into work_order (id, title, customer_id, assignee_id)
      select gen_random_uuid(), 'bulk ' || i, '00000000-0000-4000-8000-000000000001', 'carol' from generate_series(1, 5000) i`);
    await db.execute(sql`analyze work_order`);
    const checkpoint = (await sync(server, 'carol')).checkpoint;
    for (let i = 0; i < 3; i++) await sync(server, 'carol', { changes: [createWorkOrder('carol').change] });
    const snapshot = decodeCheckpoint(checkpoint)!.snapshot;
    const registry = server.server.services.registry;
    const query = changedRowsQuery(registry.get('WorkOrder')!, { id: 'carol', roles: ['fieldworker'] }, snapshot, registry);
    const [plan] = await queryRows<{ 'QUERY PLAN': unknown }>(db, sql`explain (analyze, format json) ${query}`);
    const rowsRead = rowsReadFrom(plan!['QUERY PLAN'], 'work_order');
    expect(rowsRead).toBeGreaterThanOrEqual(3);
    expect(rowsRead).toBeLessThan(50);
  });

  it('R14: an idle sync looks for changes through the indexes, whatever the size of the data', async () => {
    const db = server.database.db;
    await db.execute(sql`insert into work_order (id, title, customer_id, assignee_id)
      select gen_random_uuid(), 'bulk ' || i, '00000000-0000-4000-8000-000000000001', 'dave' from generate_series(1, 5000) i`);
    await db.execute(sql`analyze work_order`);
    const first = await sync(server, 'dave');
    const idle = await sync(server, 'dave', { checkpoint: first.checkpoint });
    expect(idle).toMatchObject({ reset: false, hasMore: false, upserted: [], deleted: [] });
    expect(idle.checkpoint).not.toBe(first.checkpoint);
    const registry = server.server.services.registry;
    const downloaded = registry.list.filter((m) => ['ALL', 'FILTERED'].includes(m.definition.download.mode));
    const snapshot = decodeCheckpoint(idle.checkpoint)!.snapshot;
    // Also with transactions in progress in the snapshot (R18): two that wrote no work order.
    const xids: string[] = [];
    for (let i = 0; i < 2; i++) xids.push((await queryRows<{ x: string }>(db, sql`select pg_current_xact_id()::text as x`))[0]!.x);
    const [current] = await queryRows<{ s: string }>(db, sql`select pg_current_snapshot()::text as s`);
    const inProgress = `${xids[0]}:${current!.s.split(':')[1]}:${xids.join(',')}`;
    for (const probed of [snapshot, inProgress]) {
      const [plan] = await queryRows<{ 'QUERY PLAN': unknown }>(db, sql`explain (analyze, format json) ${probeChangesQuery(downloaded, probed, registry)}`);
      expect(JSON.stringify(plan)).toContain('work_order');
      expect(rowsReadFrom(plan!['QUERY PLAN'], 'work_order')).toBeLessThan(50);
    }
    // And the next change is still seen from the idle sync's checkpoint.
    const wo = createWorkOrder('dave');
    await sync(server, 'dave', { changes: [wo.change] });
    const next = await sync(server, 'dave', { checkpoint: idle.checkpoint });
    expect(next.upserted.map((o) => o.id)).toEqual([wo.id]);
  });
});

/** Rows a plan read from a table: returned plus filtered out, over all loops. */
function rowsReadFrom(plan: unknown, table: string): number {
  const root = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: PlanNode }[];
  let total = 0;
  const walk = (node: PlanNode) => {
    if (node['Relation Name'] === table) {
      total += ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * (node['Actual Loops'] ?? 1);
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(root[0]!.Plan);
  return total;
}
interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

describe('R18 out-of-order commits', () => {
  it('R18: a change whose transaction was still running when the checkpoint was taken is downloaded', async () => {
    // Write a work order, then hand the device a checkpoint whose snapshot lists that
    // transaction as in progress: exactly what a device gets when a slow transaction that
    // started earlier commits after a later one that its sync already saw.
    const wo = createWorkOrder('alice');
    await sync(server, 'alice', { changes: [wo.change] });
    const [row] = await server.database.db.select({ tx: workOrders.changedTx }).from(workOrders).where(sql`${workOrders.id} = ${wo.id}`);
    const tx = BigInt(row!.tx);
    const later = (await sync(server, 'alice')).checkpoint;
    const laterSnapshot = decodeCheckpoint(later)!;
    const xmax = laterSnapshot.snapshot.split(':')[1]!;
    const inProgress = encodeCheckpoint({ ...laterSnapshot, snapshot: `${tx}:${xmax}:${tx}` });
    const next = await sync(server, 'alice', { checkpoint: inProgress });
    expect(next.reset).toBe(false);
    expect(upsertedOf(next, 'WorkOrder', wo.id)).toBeDefined();
    const normal = await sync(server, 'alice', { checkpoint: later });
    expect(upsertedOf(normal, 'WorkOrder', wo.id)).toBeUndefined();
  });
});

describe('R18 with real concurrent transactions', () => {
  // PGlite has one connection, so two open transactions need PostgreSQL; the test above covers
  // the same snapshot logic on both databases.
  it.runIf(databaseKind === 'postgres')('R18: a transaction that started earlier but committed later is still downloaded', async () => {
    const url = (server.database as { url?: string }).url!;
    const slow = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const before = await sync(server, 'alice');
      const early = uuid();
      const reserved = await slow.reserve();
      await reserved`begin`;
      await reserved`insert into work_order (id, title, customer_id, assignee_id) values (${early}, 'slow', '00000000-0000-4000-8000-000000000001', 'alice')`;
      // A later transaction commits first, and alice syncs while the slow one is still open.
      const quick = createWorkOrder('alice');
      await sync(server, 'admin', { changes: [quick.change] });
      const during = await sync(server, 'alice', { checkpoint: before.checkpoint });
      expect(upsertedOf(during, 'WorkOrder', quick.id)).toBeDefined();
      expect(upsertedOf(during, 'WorkOrder', early)).toBeUndefined();
      await reserved`commit`;
      reserved.release();
      const after = await sync(server, 'alice', { checkpoint: during.checkpoint });
      expect(upsertedOf(after, 'WorkOrder', early)).toMatchObject({ title: 'slow' });
    } finally {
      await slow.end();
    }
  });

  it.runIf(databaseKind === 'postgres')('R18: an idle sync while another transaction is running does not skip what it commits later', async () => {
    const url = (server.database as { url?: string }).url!;
    const slow = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const before = await sync(server, 'alice');
      const early = uuid();
      const reserved = await slow.reserve();
      await reserved`begin`;
      await reserved`insert into work_order (id, title, customer_id, assignee_id) values (${early}, 'slow idle', '00000000-0000-4000-8000-000000000001', 'alice')`;
      // Nothing committed since alice's checkpoint: her sync is idle, and its checkpoint must
      // still list the open transaction as not seen.
      const idle = await sync(server, 'alice', { checkpoint: before.checkpoint });
      expect(idle).toMatchObject({ reset: false, upserted: [], deleted: [] });
      await reserved`commit`;
      reserved.release();
      const after = await sync(server, 'alice', { checkpoint: idle.checkpoint });
      expect(upsertedOf(after, 'WorkOrder', early)).toMatchObject({ title: 'slow idle' });
    } finally {
      await slow.end();
    }
  });
});

describe('R19 expired checkpoints', () => {
  it('R19: a checkpoint older than the tombstone retention gets a complete download', async () => {
    const current = decodeCheckpoint((await sync(server, 'alice')).checkpoint)!;
    const old = encodeCheckpoint({ ...current, issuedAt: new Date(Date.now() - 31 * 24 * 3600 * 1000).toISOString() });
    const result = await sync(server, 'alice', { checkpoint: old });
    expect(result.reset).toBe(true);
    expect(result.upserted.some((o) => o.__typename === 'Customer')).toBe(true);
  });
});
