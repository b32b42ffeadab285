import { randomUUID } from 'node:crypto';
import { count, eq, like, sql } from 'drizzle-orm';
import { boolean, date, doublePrecision, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../server/src/config.ts';
import { installChangeTracking } from '../../server/src/db/change-tracking.ts';
import type { Database } from '../../server/src/db/connect.ts';
import { createDemoRegistry, demoEntities } from '../../server/src/demo/entities.ts';
import { defineEntity } from '../../server/src/registry/define-entity.ts';
import { createRegistry } from '../../server/src/registry/registry.ts';
import { syncColumns } from '../../server/src/registry/system-columns.ts';
import { seedDemoData, seedIds } from '../../server/src/demo/seed.ts';
import { workOrders } from '../../server/src/demo/tables.ts';
import { syncUploads } from '../../server/src/db/system-tables.ts';
import { createPostgresBlobStore } from '../../server/src/files/postgres-blob-store.ts';
import type { Registry } from '../../server/src/registry/registry.ts';
import { listFailures } from '../../server/src/sync/failures.ts';
import { synchronize, type SyncCore } from '../../server/src/sync/synchronize.ts';
import type { ChangeInput } from '../../server/src/sync/types.ts';
import { SEND_ROWS } from '../../server/src/sync/batch-store.ts';
import { openTestDatabase } from '../support/database.ts';
import { demoRegistryWithWorkOrderHooks } from '../support/hooked-registry.ts';

/**
 * The batched upload (server/src/sync/apply.ts): creates and updates are locked and written
 * set-wise, and the outcome is what applying them one by one gives, whatever fails, whichever
 * rules and hooks query the database.
 */

let database: Database;
let statements: string[] = [];
const alice = { id: 'alice', roles: ['fieldworker'] };
const admin = { id: 'root', roles: ['admin'] };

beforeAll(async () => {
  database = await openTestDatabase({ onQuery: (query) => statements.push(query) });
  await installChangeTracking(database.db, createDemoRegistry());
  await seedDemoData(database.db);
});
afterAll(() => database.close());

function coreWith(registry: Registry): SyncCore {
  return {
    db: database.db,
    registry,
    limits: defaultLimits,
    blobs: createPostgresBlobStore(database.db),
    fileUrls: { secret: 'batch-test', ttlSeconds: 60 },
    log: () => {},
  };
}

const input = (changes: ChangeInput[]) => ({ clientId: 'batch-test', syncId: randomUUID(), changes, selection: [] });

async function createOrders(n: number, title: (i: number) => string = (i) => `Batch order ${i}`): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  const result = await synchronize(coreWith(createDemoRegistry()), alice, input(ids.map((id, i) => ({
    entity: 'WorkOrder', id, op: 'CREATE', values: { title: title(i), customerId: seedIds.customers.harbor, assigneeId: 'alice' },
  }))));
  expect(result.outcomes.every((o) => o.status === 'APPLIED')).toBe(true);
  return ids;
}

async function ordersById(ids: string[]) {
  const rows = await database.db.select().from(workOrders);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id)!);
}

describe('batched upload', () => {
  it('applies hundreds of updates with a number of statements that does not grow with them', async () => {
    const core = coreWith(createDemoRegistry());
    const counts: number[] = [];
    for (const n of [20, 300]) {
      const ids = await createOrders(n);
      statements = [];
      const result = await synchronize(core, alice, input(ids.map((id, i) => ({
        entity: 'WorkOrder', id, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: i, status: i % 2 ? 'DONE' : 'IN_PROGRESS' },
      }))));
      counts.push(statements.length);
      expect(result.outcomes.map((o) => [o.status, o.version])).toEqual(ids.map(() => ['APPLIED', 2]));
      const rows = await ordersById(ids);
      expect(rows.map((r) => r.hoursSpent)).toEqual(ids.map((_, i) => i));
      // The demo's beforeCommit hook ran for each change: DONE orders got their completion time.
      expect(rows.map((r) => r.completedAt !== null)).toEqual(ids.map((_, i) => i % 2 === 1));
    }
    expect(counts[1]).toBe(counts[0]);
    expect(counts[1]).toBeLessThan(20);
  });

  it('fails exactly the changes the rules reject, in a batch that applies the rest', async () => {
    const ids = await createOrders(6);
    const gone = randomUUID();
    const result = await synchronize(coreWith(createDemoRegistry()), alice, input([
      { entity: 'WorkOrder', id: ids[0]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 1 } },
      { entity: 'WorkOrder', id: ids[1]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: -5 } },
      { entity: 'WorkOrder', id: gone, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 2 } },
      { entity: 'WorkOrder', id: ids[2]!, op: 'UPDATE', baseVersion: 1, values: { assigneeId: 'bob' } },
      { entity: 'WorkOrder', id: ids[3]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 3 } },
      { entity: 'WorkOrder', id: seedIds.workOrders.bobOven, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 4 } },
      { entity: 'WorkOrder', id: ids[4]!, op: 'UPDATE', baseVersion: 1, values: { customerId: randomUUID() } },
      { entity: 'WorkOrder', id: ids[5]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 5 } },
    ]));
    expect(result.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'FAILED', 'FAILED', 'FAILED', 'APPLIED', 'FAILED', 'FAILED', 'APPLIED']);
    expect(result.failures.map((f) => f.reason)).toEqual(['VALIDATION', 'NOT_FOUND', 'ACCESS_DENIED', 'ACCESS_DENIED', 'DANGLING_REFERENCE']);
    const rows = await ordersById(ids);
    expect(rows.map((r) => [r.hoursSpent, r.version, r.assigneeId])).toEqual([
      [1, 2, 'alice'], [0, 1, 'alice'], [0, 1, 'alice'], [3, 2, 'alice'], [0, 1, 'alice'], [5, 2, 'alice'],
    ]);
    const stored = await listFailures(database.db, alice, { first: 50, offset: 0 });
    expect(result.failures.every((f) => stored.some((s) => s.id === f.id && s.reason === f.reason && s.syncId === f.syncId))).toBe(true);
  });

  it('finds the one change the database refuses when a set-wise write fails, and applies the others', async () => {
    const ids = await createOrders(5);
    await database.db.execute(sql`alter table work_order add constraint batch_test_hours check (hours_spent < 1000)`);
    try {
      const result = await synchronize(coreWith(createDemoRegistry()), alice, input(ids.map((id, i) => ({
        entity: 'WorkOrder', id, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: i === 2 ? 5000 : i },
      }))));
      expect(result.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'APPLIED', 'FAILED', 'APPLIED', 'APPLIED']);
      expect(result.failures[0]!.message).toContain('batch_test_hours');
      expect((await ordersById(ids)).map((r) => r.hoursSpent)).toEqual([0, 1, 0, 3, 4]);
    } finally {
      await database.db.execute(sql`alter table work_order drop constraint batch_test_hours`);
    }
  });

  it('sends the writes of a large set while it checks the rest, and still finds the one change the database refuses', async () => {
    const n = SEND_ROWS + 300;
    const ids = await createOrders(n);
    // When the last change is first checked (in the batch; again one by one), the writes of the
    // first SEND_ROWS rows were sent already.
    let updatesSentBeforeLast = -1;
    const registry = demoRegistryWithWorkOrderHooks({
      beforeCommit: ({ row }) => {
        if (row.id === ids[n - 1] && updatesSentBeforeLast < 0) updatesSentBeforeLast = statements.filter((s) => /^with updated as \(update "work_order"/.test(s)).length;
      },
    });
    await database.db.execute(sql`alter table work_order add constraint batch_test_hours check (hours_spent < 1000)`);
    try {
      // The refused row is in the first send, which fails while the rest are checked.
      const refused = 7;
      // Refused by a rule, in the batch and again one by one.
      const invalid = 3;
      statements = [];
      const result = await synchronize(coreWith(registry), alice, input(ids.map((id, i) => ({
        entity: 'WorkOrder', id, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: i === refused ? 5000 : i === invalid ? -1 : 1 + (i % 5) },
      }))));
      expect(updatesSentBeforeLast).toBeGreaterThanOrEqual(1);
      expect(result.outcomes.filter((o) => o.status === 'FAILED').map((o) => o.id)).toEqual([ids[invalid], ids[refused]]);
      expect(result.failures.map((f) => [f.reason, f.objectId])).toEqual([['VALIDATION', ids[invalid]], ['VALIDATION', ids[refused]]]);
      const rows = await ordersById(ids);
      const failedRow = (i: number) => i === refused || i === invalid;
      expect(rows.map((r) => [r.hoursSpent, r.version])).toEqual(ids.map((_, i) => (failedRow(i) ? [0, 1] : [1 + (i % 5), 2])));
      // What the abandoned batch had recorded (a failure, the outcome) went with it: the failures
      // stored are those returned, and a retry replays the outcome returned.
      const stored = await listFailures(database.db, alice, { first: 50, offset: 0 });
      expect(stored.filter((f) => f.syncId === result.syncId).map((f) => f.id).sort()).toEqual(result.failures.map((f) => f.id).sort());
      const again = await synchronize(coreWith(registry), alice, { ...input([]), syncId: result.syncId, changes: [{ entity: 'WorkOrder', id: ids[0]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 9 } }] });
      expect(again.replayed).toBe(true);
      expect(again.outcomes).toEqual(result.outcomes);
    } finally {
      await database.db.execute(sql`alter table work_order drop constraint batch_test_hours`);
    }
  });

  it('lets a hook that queries the database see every earlier change of the set, even one that catches the probe', async () => {
    const seen = async (db: SyncCore['db']) => {
      const [row] = await db.select({ n: count() }).from(workOrders).where(like(workOrders.title, 'Hooked %'));
      return Number(row!.n);
    };
    const registry = demoRegistryWithWorkOrderHooks({
      beforeCommit: async ({ db, row }) => {
        if (!String(row.title).startsWith('Hooked ')) return;
        try {
          row.description = `saw ${await seen(db)}`;
        } catch {
          row.description = 'probe';
        }
      },
    });
    const ids = Array.from({ length: 4 }, () => randomUUID());
    const result = await synchronize(coreWith(registry), alice, input(ids.map((id, i) => ({
      entity: 'WorkOrder', id, op: 'CREATE', values: { title: `Hooked ${i}`, customerId: seedIds.customers.harbor, assigneeId: 'alice' },
    }))));
    expect(result.outcomes.every((o) => o.status === 'APPLIED')).toBe(true);
    expect((await ordersById(ids)).map((r) => r.description)).toEqual(['saw 0', 'saw 1', 'saw 2', 'saw 3']);
  });

  it("sends what a hook touches (HookContext.touch, even taken out of its context), batched and one by one", async () => {
    const registry = demoRegistryWithWorkOrderHooks({
      beforeCommit: ({ row, touch }) => {
        if (String(row.title).startsWith('touch ')) touch('Customer', String(row.customerId));
      },
    });
    const [first, second, alone] = await createOrders(3);
    const update = (id: string, title: string): ChangeInput => ({ entity: 'WorkOrder', id, op: 'UPDATE', baseVersion: 1, values: { title } });
    const touchedIn = (result: Awaited<ReturnType<typeof synchronize>>) => result.upserted.filter((o) => o.entity === 'Customer').map((o) => o.row.id);
    const selection = (...ids: string[]) => ids.map((id) => ({ entity: 'WorkOrder', id }));

    const batched = await synchronize(coreWith(registry), alice, { ...input([update(first!, 'touch one'), update(second!, 'plain')]), selection: selection(first!, second!) });
    expect(touchedIn(batched)).toEqual([seedIds.customers.harbor]);
    const oneByOne = await synchronize(coreWith(registry), alice, { ...input([update(alone!, 'touch alone')]), selection: selection(alone!) });
    expect(touchedIn(oneByOne)).toEqual([seedIds.customers.harbor]);
    const untouched = await synchronize(coreWith(registry), alice, { ...input([update(first!, 'plain again'), update(second!, 'plain again')]), selection: selection(first!, second!) });
    expect(touchedIn(untouched)).toEqual([]);
  });

  it('applies two changes of one object in one set in order', async () => {
    const [id] = await createOrders(1);
    const others = await createOrders(3);
    const result = await synchronize(coreWith(createDemoRegistry()), alice, input([
      { entity: 'WorkOrder', id: others[0]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 7 } },
      { entity: 'WorkOrder', id: id!, op: 'UPDATE', baseVersion: 1, values: { title: 'First' } },
      { entity: 'WorkOrder', id: others[1]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 8 } },
      { entity: 'WorkOrder', id: id!, op: 'UPDATE', baseVersion: 2, values: { hoursSpent: 9 } },
      { entity: 'WorkOrder', id: others[2]!, op: 'CREATE', values: { title: 'Merged onto', customerId: seedIds.customers.harbor, assigneeId: 'alice' } },
    ]));
    expect(result.outcomes.map((o) => [o.status, o.version])).toEqual([['APPLIED', 2], ['APPLIED', 2], ['APPLIED', 2], ['APPLIED', 3], ['MERGED', 2]]);
    const [row] = await ordersById([id!]);
    expect([row!.title, row!.hoursSpent, row!.version]).toEqual(['First', 9, 3]);
  });

  it('applies creates that reference each other and updates of another entity in one set', async () => {
    const customer = randomUUID();
    const order = randomUUID();
    const result = await synchronize(coreWith(createDemoRegistry()), admin, input([
      { entity: 'WorkOrder', id: order, op: 'CREATE', values: { title: 'For a new customer', customerId: customer, assigneeId: 'alice' } },
      { entity: 'Customer', id: customer, op: 'CREATE', values: { name: 'New customer' } },
      { entity: 'Customer', id: seedIds.customers.school, op: 'UPDATE', values: { phone: '+31 20 555 0303' } },
      { entity: 'WorkOrder', id: seedIds.workOrders.bobHeating, op: 'UPDATE', values: { customerId: customer } },
    ]));
    expect(result.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'APPLIED', 'APPLIED', 'APPLIED']);
    const [heating] = await database.db.select().from(workOrders).where(eq(workOrders.id, seedIds.workOrders.bobHeating));
    expect(heating!.customerId).toBe(customer);
  });

  it('replays an upload with the outcome it returned, also one recorded in the earlier plain shape', async () => {
    const core = coreWith(createDemoRegistry());
    const ids = await createOrders(3);
    const changes: ChangeInput[] = [
      { entity: 'WorkOrder', id: ids[0]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 1 } },
      { entity: 'WorkOrder', id: ids[1]!, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: -1 } },
    ];
    const first = await synchronize(core, alice, input(changes));
    const again = await synchronize(core, alice, { ...input(changes), syncId: first.syncId });
    expect(again.replayed).toBe(true);
    expect(again.outcomes).toEqual(first.outcomes);
    expect(again.failures).toEqual(first.failures);

    const legacy = { clientId: 'batch-test', syncId: randomUUID() };
    const outcome = {
      outcomes: [{ entity: 'WorkOrder', id: ids[2]!, status: 'APPLIED', version: 2, failureId: null }],
      failures: [],
      affected: [{ entity: 'WorkOrder', id: ids[2]! }],
    };
    await database.db.insert(syncUploads).values({ ...legacy, viewerId: 'alice', createdAt: new Date(), outcome });
    const replayed = await synchronize(core, alice, { ...legacy, changes: [changes[0]!], selection: [] });
    expect(replayed.replayed).toBe(true);
    expect(replayed.outcomes).toEqual(outcome.outcomes);
    expect((await ordersById([ids[0]!]))[0]!.hoursSpent).toBe(1);
  });

  it('lets two devices upload overlapping sets in opposite orders at once, every attribute edit surviving', async () => {
    const core = coreWith(createDemoRegistry());
    const ids = await createOrders(40);
    const [a, b] = await Promise.all([
      synchronize(core, alice, input(ids.map((id) => ({ entity: 'WorkOrder', id, op: 'UPDATE', baseVersion: 1, base: { hoursSpent: 0 }, values: { hoursSpent: 3 } })))),
      synchronize(core, alice, input([...ids].reverse().map((id) => ({ entity: 'WorkOrder', id, op: 'UPDATE', baseVersion: 1, values: { description: 'from b' } })))),
    ]);
    expect([...a.outcomes, ...b.outcomes].every((o) => o.status !== 'FAILED')).toBe(true);
    const rows = await ordersById(ids);
    expect(rows.every((r) => r.hoursSpent === 3 && r.description === 'from b' && r.version === 3)).toBe(true);
  });

  it('stores every column type set-wise exactly as one by one', async () => {
    const samples = pgTable('batch_samples', {
      ...syncColumns(),
      label: text('label'),
      amount: integer('amount'),
      ratio: doublePrecision('ratio'),
      done: boolean('done'),
      day: date('day', { mode: 'string' }),
      at: timestamp('at', { withTimezone: true, mode: 'date' }),
      data: jsonb('data'),
    });
    await database.db.execute(sql.raw(`create table batch_samples (id uuid primary key, version integer default 1 not null,
      created_at timestamptz default now() not null, changed_at timestamptz default now() not null,
      changed_tx xid8 default pg_current_xact_id() not null, label text, amount integer, ratio double precision,
      done boolean, day date, at timestamptz, data jsonb)`));
    const registry = createRegistry([...demoEntities, defineEntity({
      name: 'Sample', table: samples, download: { mode: 'ALL' },
      access: { create: true, update: true, writable: { fieldworker: 'all' } },
    })]);
    await installChangeTracking(database.db, registry);
    const core = coreWith(registry);
    const ids = Array.from({ length: 4 }, () => randomUUID());
    await synchronize(core, alice, input(ids.map((id) => ({ entity: 'Sample', id, op: 'CREATE', values: { label: 'new' } }))));
    const values = {
      label: 'quote " backslash \\ unicode é 😀', amount: -2147483648, ratio: 0.1 + 0.2, done: false,
      day: '2026-02-28', at: new Date('2026-11-26T10:11:12.345Z'), data: { nested: [1, 'two', null, { three: true }], text: 'a"b' },
    };
    const cleared = { label: null, amount: null, ratio: null, done: null, day: null, at: null, data: null };
    // Two changes each: set-wise (batched); one change each: one by one.
    await synchronize(core, alice, input([ids[0]!, ids[1]!].map((id) => ({ entity: 'Sample', id, op: 'UPDATE', baseVersion: 1, values }))));
    await synchronize(core, alice, input([{ entity: 'Sample', id: ids[2]!, op: 'UPDATE', baseVersion: 1, values }]));
    await synchronize(core, alice, input([ids[0]!, ids[3]!].map((id, i) => ({ entity: 'Sample', id, op: 'UPDATE', baseVersion: 2 - i, values: cleared }))));
    const rows = new Map((await database.db.select().from(samples)).map((row) => [row.id, row]));
    const stored = (id: string) => {
      const { id: _id, version: _v, createdAt: _c, changedAt: _ch, changedTx: _t, ...attributes } = rows.get(id)!;
      return attributes;
    };
    expect(stored(ids[1]!)).toEqual(stored(ids[2]!));
    expect(stored(ids[1]!)).toEqual(values);
    expect(stored(ids[0]!)).toEqual(cleared);
    expect(stored(ids[3]!)).toEqual(cleared);
  });
});
