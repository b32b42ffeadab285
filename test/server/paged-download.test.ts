import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { change, downloadPage, graphql, sync, syncAllPages } from '../support/graphql.ts';
import { createWorkOrder } from '../support/demo.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** R17: downloads in bounded pages, the server reading no more rows than a page at a time. */

const PAGE = 4;
let server: TestServer;
let maxRowsRead = 0;
beforeAll(async () => {
  server = await startTestServer({ limits: { downloadPageSize: PAGE, downloadResetPageSize: PAGE }, onRowsRead: (n) => (maxRowsRead = Math.max(maxRowsRead, n)) });
});
afterAll(() => server.close());

const ids = (objects: { __typename: string; id: string }[]) => objects.map((o) => `${o.__typename}:${o.id}`).sort();

describe('R17 paged downloads', () => {
  it('R17: a complete download comes in pages of the configured bound that add up to the whole data set', async () => {
    for (let i = 0; i < 7; i++) await sync(server, 'admin', { changes: [createWorkOrder(i % 2 ? 'alice' : 'bob').change] });
    const all = await graphql<{ workOrders: { totalCount: number }; customers: { totalCount: number } }>(server, 'admin', '{ workOrders { totalCount } customers { totalCount } }');
    const expected = all.data!.workOrders.totalCount + all.data!.customers.totalCount;
    const { pages, upserted } = await syncAllPages(server, 'admin');
    expect(pages.length).toBe(Math.ceil(expected / PAGE));
    for (const page of pages) {
      expect(page.upserted.length + page.deleted.length).toBeLessThanOrEqual(PAGE);
      expect(page.reset).toBe(true);
      expect(page.checkpoint).toBe(pages[0]!.checkpoint);
    }
    expect(pages.at(-1)!.hasMore).toBe(false);
    expect(pages.at(-1)!.nextPage).toBeNull();
    expect(new Set(ids(upserted)).size).toBe(expected);
    expect(maxRowsRead).toBeGreaterThan(0);
    expect(maxRowsRead).toBeLessThanOrEqual(PAGE + 1);
  });

  it('R17: an incremental download pages through changes and deletes', async () => {
    const held = Array.from({ length: 4 }, () => createWorkOrder('alice'));
    await sync(server, 'alice', { changes: held.map((c) => c.change) });
    const start = await syncAllPages(server, 'alice');
    const created = Array.from({ length: 5 }, () => createWorkOrder('alice'));
    await sync(server, 'alice', { changes: created.map((c) => c.change) });
    await sync(server, 'admin', { changes: held.map((c) => change('WorkOrder', { id: c.id, op: 'DELETE', baseVersion: 1 })) });
    const next = await syncAllPages(server, 'alice', { checkpoint: start.pages[0]!.checkpoint });
    expect(next.pages.length).toBeGreaterThan(1);
    expect(next.pages.every((p) => !p.reset)).toBe(true);
    expect(next.upserted.map((o) => o.id).sort()).toEqual(created.map((c) => c.id).sort());
    expect(next.deleted.map((k) => k.id).sort()).toEqual(held.map((c) => c.id).sort());
  });

  it('R17: a complete download pages by the reset page size, an incremental one by the download page size', async () => {
    const sized = await startTestServer({ limits: { downloadPageSize: 2, downloadResetPageSize: 5 } });
    try {
      const created = Array.from({ length: 6 }, () => createWorkOrder('alice'));
      await sync(sized, 'alice', { changes: created.map((c) => c.change) });
      const complete = await syncAllPages(sized, 'alice');
      expect(complete.pages.every((p) => p.reset)).toBe(true);
      expect(complete.pages[0]!.upserted.length).toBe(5);
      const more = Array.from({ length: 3 }, () => createWorkOrder('alice'));
      await sync(sized, 'alice', { changes: more.map((c) => c.change) });
      const incremental = await syncAllPages(sized, 'alice', { checkpoint: complete.pages[0]!.checkpoint });
      expect(incremental.pages.map((p) => p.upserted.length)).toEqual([2, 1]);
      expect(incremental.pages.every((p) => !p.reset)).toBe(true);
    } finally {
      await sized.close();
    }
  });

  it('R17: the next page is read ahead while the device handles the current one, and is the page asked for', async () => {
    const first = await sync(server, 'admin');
    expect(first.hasMore).toBe(true);
    const ahead = await server.server.services.prefetch!.take({ id: 'admin', roles: ['admin'] }, first.nextPage!);
    expect(ahead).not.toBeNull();
    // Taken: the device's request now reads the page itself, and gets the same objects.
    const asked = await downloadPage(server, 'admin', first.nextPage!);
    expect(ahead!.upserted.map((o) => `${o.entity}:${o.row.id as string}`).sort()).toEqual(ids(asked.upserted));
    expect(ahead!.nextPage).toBe(asked.nextPage);
  });

  it('R17: a download continued after the data changed still ends consistent', async () => {
    const first = await sync(server, 'bob');
    expect(first.hasMore).toBe(true);
    // While bob's device pages through, a new work order is created for him.
    const late = createWorkOrder('bob');
    await sync(server, 'admin', { changes: [late.change] });
    const rest: string[] = [];
    for (let page = first; page.hasMore; ) {
      page = await downloadPage(server, 'bob', page.nextPage!);
      rest.push(...page.upserted.map((o) => o.id));
    }
    // Either this download or the next one (from its checkpoint) delivers it.
    const next = await sync(server, 'bob', { checkpoint: first.checkpoint });
    expect([...rest, ...next.upserted.map((o) => o.id)]).toContain(late.id);
  });

  it('R17: a cursor is refused to another user and when malformed', async () => {
    const first = await sync(server, 'alice');
    const stolen = await graphql(server, 'bob', 'query($c: String!) { downloadPage(cursor: $c) { hasMore } }', { c: first.nextPage });
    expect(stolen.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const garbage = await graphql(server, 'alice', 'query($c: String!) { downloadPage(cursor: $c) { hasMore } }', { c: 'nope' });
    expect(garbage.errors?.[0]).toMatchObject({ message: 'The download cursor is malformed', extensions: { code: 'BAD_REQUEST' } });
  });

  it('R17: a download of 100 000 objects comes in pages, the server never reading more than a page of rows at once', { timeout: 600_000 }, async () => {
    let bigMax = 0;
    const big = await startTestServer({ limits: { downloadResetPageSize: 5_000 }, onRowsRead: (n) => (bigMax = Math.max(bigMax, n)) });
    try {
      await big.database.db.execute(sql`insert into work_order (id, title, customer_id, assignee_id, hours_spent)
        select gen_random_uuid(), 'bulk ' || i, '00000000-0000-4000-8000-000000000001', 'dora', i % 10 from generate_series(1, 100000) i`);
      let pages = 0;
      let objects = 0;
      const seen = new Set<string>();
      for (let page = await sync(big, 'dora', { fragments: '... on WorkOrder { hoursSpent }' }); ; ) {
        pages++;
        objects += page.upserted.length;
        for (const o of page.upserted) if (o.__typename === 'WorkOrder') seen.add(o.id);
        expect(page.upserted.length).toBeLessThanOrEqual(5_000);
        if (!page.hasMore) break;
        page = await downloadPage(big, 'dora', page.nextPage!, '... on WorkOrder { hoursSpent }');
      }
      expect(seen.size).toBe(100_000);
      expect(objects).toBe(100_003); // and the three seeded customers
      expect(pages).toBe(21);
      expect(bigMax).toBeLessThanOrEqual(5_001);
    } finally {
      await big.close();
    }
  });
});
