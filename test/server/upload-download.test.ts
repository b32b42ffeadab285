import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customers as customerTable, workOrders as workOrderTable } from '../../server/src/demo/tables.ts';
import { seedDemoData, seedIds } from '../../server/src/demo/seed.ts';
import { decodeCursor } from '../../server/src/sync/checkpoint.ts';
import { change, syncAllPages, type SyncObject, type SyncResult } from '../support/graphql.ts';
import { createWorkOrder, customers } from '../support/demo.ts';
import { demoRegistryWithWorkOrderHooks } from '../support/hooked-registry.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * An upload's own writes in the download that follows it (R8, R14, R17): the first page holds
 * every object the upload's transaction wrote, hook writes included, and the later pages send
 * what others changed, so each object reaches the device once.
 */

const PAGE = 4;
let server: TestServer;

// A work order titled `phone:<number>` sets its customer's phone, `phones:<number>` every
// customer's, `drop:<id>` deletes another work order: all through the transaction (`ctx.db`),
// without `touch`.
const registry = demoRegistryWithWorkOrderHooks({
  beforeCommit: async (ctx) => {
    const title = String(ctx.row.title);
    if (title.startsWith('phone:')) await ctx.db.update(customerTable).set({ phone: title.slice(6) }).where(eq(customerTable.id, String(ctx.row.customerId)));
    if (title.startsWith('drop:')) await ctx.db.delete(workOrderTable).where(eq(workOrderTable.id, title.slice(5)));
    if (title.startsWith('phones:')) await ctx.db.update(customerTable).set({ phone: title.slice(7) });
  },
});

beforeAll(async () => {
  server = await startTestServer({ registry, limits: { downloadPageSize: PAGE, downloadResetPageSize: PAGE } });
});
beforeEach(async () => {
  await server.reset();
  await seedDemoData(server.database.db);
});
afterAll(() => server.close());

const keys = (objects: { __typename?: string; entity?: string; id: string }[]) => objects.map((o) => `${o.__typename ?? o.entity}:${o.id}`);
const occurrences = (pages: SyncResult[], key: string) => pages.flatMap((p) => [...keys(p.upserted), ...keys(p.deleted)]).filter((k) => k === key).length;

async function checkpointOf(user: string): Promise<string> {
  return (await syncAllPages(server, user)).pages[0]!.checkpoint;
}

function expectEachOnce(pages: SyncResult[]) {
  const all = pages.flatMap((p) => [...keys(p.upserted), ...keys(p.deleted)]);
  expect(all.length).toBe(new Set(all).size);
}

describe("an upload's own writes in its download", () => {
  it('R17: an upload larger than a page is answered in its first page; the later pages send only what others changed', async () => {
    const checkpoint = await checkpointOf('alice');
    const others = Array.from({ length: 3 }, () => createWorkOrder('alice'));
    await syncAllPages(server, 'admin', { changes: others.map((c) => c.change) });
    const mine = Array.from({ length: 6 }, () => createWorkOrder('alice'));
    const { pages, upserted } = await syncAllPages(server, 'alice', { checkpoint, changes: mine.map((c) => c.change) });

    expect(keys(pages[0]!.upserted)).toEqual(expect.arrayContaining(mine.map((c) => `WorkOrder:${c.id}`)));
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages.slice(1)) expect(page.upserted.length + page.deleted.length).toBeLessThanOrEqual(PAGE);
    expectEachOnce(pages);
    expect(upserted.map((o) => o.id).sort()).toEqual([...mine, ...others].map((c) => c.id).sort());
    expect(pages.every((p) => !p.reset && p.checkpoint === pages[0]!.checkpoint)).toBe(true);
  });

  it('R8: what a hook wrote through the transaction without touch is in the first page, and only there', async () => {
    const checkpoint = await checkpointOf('alice');
    const others = Array.from({ length: 5 }, () => createWorkOrder('alice'));
    await syncAllPages(server, 'admin', { changes: others.map((c) => c.change) });
    const changes = [
      change('WorkOrder', { id: seedIds.workOrders.alicePump, op: 'UPDATE', baseVersion: 1, values: { title: 'phone:+31 10 000' }, base: { title: 'Replace bilge pump' } }),
      change('WorkOrder', { id: seedIds.workOrders.aliceBoiler, op: 'UPDATE', baseVersion: 1, values: { title: `drop:${seedIds.workOrders.aliceInspection}` }, base: { title: 'Service boiler' } }),
    ];
    const { pages, upserted, deleted } = await syncAllPages(server, 'alice', { checkpoint, changes });

    const harbor = pages[0]!.upserted.find((o) => o.__typename === 'Customer' && o.id === customers.harbor) as SyncObject | undefined;
    expect(harbor?.phone).toBe('+31 10 000');
    expect(keys(pages[0]!.deleted)).toContain(`WorkOrder:${seedIds.workOrders.aliceInspection}`);
    expect(occurrences(pages, `Customer:${customers.harbor}`)).toBe(1);
    expect(occurrences(pages, `WorkOrder:${seedIds.workOrders.aliceInspection}`)).toBe(1);
    expectEachOnce(pages);
    expect(upserted.filter((o) => o.__typename === 'WorkOrder').map((o) => o.id).sort()).toEqual(
      [seedIds.workOrders.alicePump, seedIds.workOrders.aliceBoiler, ...others.map((c) => c.id)].sort(),
    );
    expect(deleted).toHaveLength(1);
  });

  it("R7: what a hook wrote of another viewer's data stays out of the uploader's download", async () => {
    const bobCheckpoint = await checkpointOf('bob');
    const changes = [
      change('WorkOrder', { id: seedIds.workOrders.aliceBoiler, op: 'UPDATE', baseVersion: 1, values: { title: `drop:${seedIds.workOrders.bobOven}` }, base: { title: 'Service boiler' } }),
    ];
    const alice = await syncAllPages(server, 'alice', { checkpoint: await checkpointOf('alice'), changes });
    expect(keys(alice.upserted)).toEqual([`WorkOrder:${seedIds.workOrders.aliceBoiler}`]);
    expect(alice.deleted).toEqual([]);
    const bob = await syncAllPages(server, 'bob', { checkpoint: bobCheckpoint });
    expect(keys(bob.deleted)).toEqual([`WorkOrder:${seedIds.workOrders.bobOven}`]);
  });

  it('R17: when hooks wrote more than a page of other objects, the first page stays bounded and later pages send them', async () => {
    const added = Array.from({ length: 5 }, (_, i) => change('Customer', { id: crypto.randomUUID(), op: 'CREATE', values: { name: `Customer ${i}` } }));
    await syncAllPages(server, 'admin', { changes: added });
    const checkpoint = await checkpointOf('alice');
    const changes = [change('WorkOrder', { id: seedIds.workOrders.alicePump, op: 'UPDATE', baseVersion: 1, values: { title: 'phones:112' }, base: { title: 'Replace bilge pump' } })];
    const { pages, upserted } = await syncAllPages(server, 'alice', { checkpoint, changes });
    expect(pages[0]!.upserted.length + pages[0]!.deleted.length).toBeLessThanOrEqual(PAGE);
    expect(keys(pages[0]!.upserted)).toContain(`WorkOrder:${seedIds.workOrders.alicePump}`);
    expect(decodeCursor(pages[0]!.nextPage!)?.uploadTx).toBeUndefined();
    const phones = new Map(upserted.filter((o) => o.__typename === 'Customer').map((o) => [o.id, o.phone]));
    expect(phones.size).toBe(Object.keys(customers).length + added.length);
    expect(new Set(phones.values())).toEqual(new Set(['112']));
  });

  it('R17: a first sync with uploads sends the whole data set once, the uploaded objects in its first page', async () => {
    const mine = Array.from({ length: 6 }, () => createWorkOrder('alice'));
    const { pages, upserted } = await syncAllPages(server, 'alice', { changes: mine.map((c) => c.change) });
    expect(pages.every((p) => p.reset)).toBe(true);
    expect(keys(pages[0]!.upserted)).toEqual(expect.arrayContaining(mine.map((c) => `WorkOrder:${c.id}`)));
    expectEachOnce(pages);
    const seeded = [seedIds.workOrders.alicePump, seedIds.workOrders.aliceBoiler, seedIds.workOrders.aliceInspection];
    expect(upserted.filter((o) => o.__typename === 'WorkOrder').map((o) => o.id).sort()).toEqual([...seeded, ...mine.map((c) => c.id)].sort());
    expect(upserted.filter((o) => o.__typename === 'Customer')).toHaveLength(Object.keys(customers).length);
  });

  it("R8: a first sync's hook writes are in its first page, and only there", async () => {
    const changes = [change('WorkOrder', { id: seedIds.workOrders.alicePump, op: 'UPDATE', baseVersion: 1, values: { title: 'phone:+31 10 999' }, base: { title: 'Replace bilge pump' } })];
    const { pages } = await syncAllPages(server, 'alice', { changes });
    expect(pages.length).toBeGreaterThan(1);
    const harbor = pages[0]!.upserted.find((o) => o.__typename === 'Customer' && o.id === customers.harbor) as SyncObject | undefined;
    expect(harbor?.phone).toBe('+31 10 999');
    expect(occurrences(pages, `Customer:${customers.harbor}`)).toBe(1);
    expectEachOnce(pages);
  });

  it('R4: a replay, which applies nothing, pages through every change again', async () => {
    const checkpoint = await checkpointOf('alice');
    await syncAllPages(server, 'admin', { changes: Array.from({ length: 3 }, () => createWorkOrder('alice').change) });
    const mine = Array.from({ length: 6 }, () => createWorkOrder('alice'));
    const call = { checkpoint, changes: mine.map((c) => c.change), syncId: crypto.randomUUID(), clientId: crypto.randomUUID() };
    const first = await syncAllPages(server, 'alice', call);
    const replay = await syncAllPages(server, 'alice', call);
    expect(replay.pages[0]!.replayed).toBe(true);
    expect(first.pages[0]!.nextPage && decodeCursor(first.pages[0]!.nextPage)?.uploadTx).toMatch(/^\d+$/);
    expect(replay.pages[0]!.nextPage && decodeCursor(replay.pages[0]!.nextPage)?.uploadTx).toBeUndefined();
    expect(new Set(replay.upserted.map((o) => o.id))).toEqual(new Set(first.upserted.map((o) => o.id)));
  });
});
