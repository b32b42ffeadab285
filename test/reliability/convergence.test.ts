import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSyncDatabase, type Database } from '../../client-sdk/src/index.ts';
import { createMemoryStorage } from '../../client-sdk/src/storage/memory-storage.ts';
import { seedDemoData } from '../../server/src/demo/seed.ts';
import { customers } from '../support/demo.ts';
import { faultyNetwork, isSynchronize, type FaultyNetwork } from '../support/faults.ts';
import { graphql } from '../support/graphql.ts';
import { demoRegistryWithWorkOrderHooks } from '../support/hooked-registry.ts';
import { listenNode, startTestServer, type NodeListener, type TestServer } from '../support/server.ts';

/**
 * Convergence under concurrency: several devices of several users create, edit and delete shared
 * work orders, synchronizing in a random order with requests and responses lost in between.
 * Seeded and reproducible (CONVERGENCE_SEED); CI runs a short version, `npm run test:convergence`
 * a long one (CONVERGENCE_RUNS, CONVERGENCE_STEPS).
 *
 * Invariants: no duplicate objects; every committed device change ends applied or in a failure
 * record; the commit hook ran exactly once per applied change (once per object version); after
 * a final sync every device holds exactly the server's view for its user. The devices talk to
 * the server's node:http listener, as deployed, so their syncs run in the sync lane, and the
 * download pages are a few objects each, so most syncs page.
 */

const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 4);
const STEPS = Number(process.env.CONVERGENCE_STEPS ?? 25);
const SEED = Number(process.env.CONVERGENCE_SEED ?? 20261126);

// Counts commit-hook runs per applied change (the object, the version it was applied onto and
// the state it produced): a change applied twice, by a replay gone wrong, would show up as 2.
const hookRuns = new Map<string, number>();
const registry = demoRegistryWithWorkOrderHooks({
  afterCommit: ({ row, previous }) => {
    const { version: _version, changedAt: _changedAt, changedTx: _changedTx, ...state } = row;
    const key = `${row.id as string}@${previous ? (previous.version as number) : 0}:${JSON.stringify(state)}`;
    hookRuns.set(key, (hookRuns.get(key) ?? 0) + 1);
  },
});

let server: TestServer;
let listener: NodeListener;
beforeAll(async () => {
  // Small pages, so that downloads (and the answers to uploads, own-writes.ts) span several.
  server = await startTestServer({ registry, config: { seedDemoData: false }, limits: { downloadPageSize: 3, downloadResetPageSize: 5 } });
  listener = await listenNode(server);
});
afterAll(async () => {
  await listener.close();
  await server.close();
});

const USERS = ['alice', 'alice', 'bob', 'admin'] as const;
type Step =
  | { kind: 'create'; device: number; title: string }
  | { kind: 'edit'; device: number; pick: number; attribute: 'title' | 'description' | 'hoursSpent' | 'status'; value: number }
  | { kind: 'delete'; device: number; pick: number }
  | { kind: 'sync'; device: number; fault: 'none' | 'drop-request' | 'drop-response' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), device: fc.nat(USERS.length - 1), title: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('edit' as const),
    device: fc.nat(USERS.length - 1),
    pick: fc.nat(50),
    attribute: fc.constantFrom('title' as const, 'description' as const, 'hoursSpent' as const, 'status' as const),
    value: fc.integer({ min: -1, max: 9 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), device: fc.nat(USERS.length - 1), pick: fc.nat(50) }),
  fc.record({ kind: fc.constant('sync' as const), device: fc.nat(USERS.length - 1), fault: fc.constantFrom('none' as const, 'none' as const, 'drop-request' as const, 'drop-response' as const) }),
);

interface Device {
  user: string;
  db: Database;
  net: FaultyNetwork;
}

const STATUSES = ['OPEN', 'IN_PROGRESS', 'DONE'] as const;

async function apply(device: Device, s: Step, committed: Set<string>) {
  const orders = device.db.entity('WorkOrder');
  const mine = orders.list({ orderBy: 'id' });
  const assignee = device.user === 'admin' ? (s.device % 2 ? 'alice' : 'bob') : device.user;
  if (s.kind === 'create') {
    const created = await orders.create({ title: s.title, customerId: customers.harbor, assigneeId: assignee }, { commit: true });
    committed.add(created.id);
  } else if (s.kind === 'edit' && mine.length > 0) {
    const target = mine[s.pick % mine.length]!;
    const values =
      s.attribute === 'hoursSpent'
        ? { hoursSpent: s.value } // -1 is refused by the server: a VALIDATION failure
        : s.attribute === 'status'
          ? { status: STATUSES[Math.abs(s.value) % 3]! }
          : { [s.attribute]: `${s.attribute} ${s.value} by ${device.user}` };
    await orders.update(target.id, values, { commit: true });
    committed.add(target.id);
  } else if (s.kind === 'delete' && mine.length > 0) {
    const target = mine[s.pick % mine.length]!;
    await orders.delete(target.id);
    committed.add(target.id);
  } else if (s.kind === 'sync') {
    if (s.fault !== 'none') device.net.inject(s.fault, isSynchronize);
    await device.db.synchronize().catch(() => {});
  }
}

/** What the server holds for a user, as the device should after a final sync. */
async function serverView(user: string) {
  const response = await graphql<{ workOrders: { items: Record<string, unknown>[] } }>(
    server,
    user,
    '{ workOrders(first: 1000) { items { id version title description hoursSpent status completedAt assigneeId } } }',
  );
  return response.data!.workOrders.items;
}

function deviceView(db: Database) {
  return db
    .entity('WorkOrder')
    .list({ orderBy: 'id' })
    .map((o) => ({ id: o.id, version: o.version, title: o.title, description: o.description, hoursSpent: o.hoursSpent, status: o.status, completedAt: o.completedAt, assigneeId: o.assigneeId }));
}

describe('convergence', () => {
  it(`devices converge to the server after random edits, syncs and lost messages (${RUNS} runs × ${STEPS} steps, seed ${SEED})`, { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: STEPS, maxLength: STEPS }), async (steps) => {
        await server.reset();
        await seedDemoData(server.database.db);
        hookRuns.clear();
        const devices: Device[] = [];
        for (const user of USERS) {
          const net = faultyNetwork((input, init) => fetch(input, init));
          const db = await openSyncDatabase({ url: `${listener.origin}/graphql`, fetch: net.fetch, token: `dev:${user}`, storage: createMemoryStorage() });
          await db.synchronize();
          devices.push({ user, db, net });
        }
        const committed = devices.map(() => new Set<string>());
        for (const s of steps) await apply(devices[s.device]!, s, committed[s.device]!);

        // Final syncs: each device uploads what is left, then everyone downloads everyone's.
        for (const d of devices) await d.db.synchronize();
        for (const d of devices) await d.db.synchronize();

        const failures = await graphql<{ synchronizationFailures: { objectId: string; viewerId: string }[] }>(
          server,
          'admin',
          '{ synchronizationFailures(first: 1000) { objectId viewerId } }',
        );
        for (const [i, d] of devices.entries()) {
          expect(d.db.unsynchronizedObjects()).toEqual([]);
          const view = await serverView(d.user);
          expect(deviceView(d.db)).toEqual([...view].sort((a, b) => String(a.id).localeCompare(String(b.id))));
          // Every object the device committed a change to is on the server, deleted, or failed.
          const onServer = new Set(view.map((o) => o.id));
          const failed = new Set(failures.data!.synchronizationFailures.filter((f) => f.viewerId === d.user).map((f) => f.objectId));
          for (const id of committed[i]!) {
            const gone = !(await serverView('admin')).some((o) => o.id === id);
            expect(onServer.has(id) || failed.has(id) || gone).toBe(true);
          }
        }
        const all = await serverView('admin');
        expect(new Set(all.map((o) => o.id)).size).toBe(all.length);
        for (const [key, runs] of hookRuns) expect(runs, key).toBe(1);
        for (const d of devices) await d.db.close();
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });
});
