import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../server/src/config.ts';
import { installChangeTracking } from '../../server/src/db/change-tracking.ts';
import type { Database } from '../../server/src/db/connect.ts';
import { createDemoRegistry } from '../../server/src/demo/entities.ts';
import { seedDemoData, seedIds } from '../../server/src/demo/seed.ts';
import { createPostgresBlobStore } from '../../server/src/files/postgres-blob-store.ts';
import { SyncRequestError } from '../../server/src/sync/errors.ts';
import { synchronize, type SyncCore } from '../../server/src/sync/synchronize.ts';
import { openTestDatabase } from '../support/database.ts';

/** The sync core without GraphQL or HTTP, straight against the database. */

let database: Database;
let core: SyncCore;
const alice = { id: 'alice', roles: ['fieldworker'] };
beforeAll(async () => {
  database = await openTestDatabase();
  const registry = createDemoRegistry();
  await installChangeTracking(database.db, registry);
  await seedDemoData(database.db);
  core = {
    db: database.db,
    registry,
    limits: defaultLimits,
    blobs: createPostgresBlobStore(database.db),
    fileUrls: { secret: 'core-test', ttlSeconds: 60 },
  };
});
afterAll(() => database.close());

const input = (changes: Parameters<typeof synchronize>[2]['changes'], selection: { entity: string; id: string }[] | null = null) => ({
  clientId: 'core-test',
  syncId: randomUUID(),
  changes,
  selection,
});

describe('sync core', () => {
  it('applies a change set and reports per change, with Date values as rows carry them', async () => {
    const id = randomUUID();
    const result = await synchronize(core, alice, input([
      { entity: 'WorkOrder', id, op: 'CREATE', values: { title: 'Core', customerId: seedIds.customers.harbor, assigneeId: 'alice', status: 'DONE' } },
    ], [{ entity: 'WorkOrder', id }]));
    expect(result.outcomes).toEqual([{ entity: 'WorkOrder', id, status: 'APPLIED', version: 1, failureId: null }]);
    expect(result.upserted[0]!.row.completedAt).toBeInstanceOf(Date);
  });

  it('refuses input GraphQL would have refused, for direct callers', async () => {
    await expect(synchronize(core, alice, input([{ entity: 'WorkOrder', id: randomUUID(), op: 'CREATE', values: { title: 5 } }]))).rejects.toThrow(SyncRequestError);
    await expect(synchronize(core, alice, input([{ entity: 'Nope', id: randomUUID(), op: 'DELETE' }]))).rejects.toThrow(/unknown entity/);
    await expect(
      synchronize(core, alice, input([{ entity: 'WorkOrder', id: randomUUID(), op: 'CREATE', values: { customerId: 'not-a-uuid', title: 'x' } }])),
    ).rejects.toThrow(/wrong type/);
  });

  it('serializes concurrent updates of one object so both attribute edits survive', async () => {
    const id = seedIds.workOrders.aliceBoiler;
    const edits = Array.from({ length: 6 }, (_, i) =>
      synchronize(core, alice, input([{ entity: 'WorkOrder', id, op: 'UPDATE', baseVersion: 1, values: i % 2 ? { hoursSpent: 7 } : { description: 'parallel' }, base: {} }])),
    );
    const results = await Promise.all(edits);
    expect(results.flatMap((r) => r.failures)).toEqual([]);
    const check = await synchronize(core, alice, input([], [{ entity: 'WorkOrder', id }]));
    expect(check.upserted[0]!.row).toMatchObject({ hoursSpent: 7, description: 'parallel', version: 3 }); // repeats of a value change nothing
  });
});
