import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.ts';
import { openDatabase, type Database } from '../../server/src/db/connect.ts';
import { createSyncServer, type SyncServer } from '../../server/src/server.ts';
import { change, sync, syncAllPages, upsertedOf, uuid } from '../support/graphql.ts';
import { createWorkOrder } from '../support/demo.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Two server instances on one database (DESIGN §7): the server keeps no state of its own, so
 * exactly-once uploads (R4) and incremental sync (R18) hold across instances. On PostgreSQL the
 * second instance has its own connection pool, as a second process would.
 */

let first: TestServer;
let secondServer: SyncServer;
let secondDatabase: Database | undefined;
let second: TestServer;
beforeAll(async () => {
  first = await startTestServer();
  const url = (first.database as { url?: string }).url;
  secondDatabase = url ? await openDatabase({ url, maxConnections: 5 }) : undefined;
  secondServer = await createSyncServer({ config: loadConfig({ NODE_ENV: 'test' }), database: secondDatabase ?? first.database });
  second = {
    ...first,
    server: secondServer,
    fetch: (input, init) => secondServer.app.fetch(input instanceof Request && !init ? input : new Request(input, init)),
  };
});
afterAll(async () => {
  await secondServer.close();
  await secondDatabase?.close();
  await first.close();
});

describe('two server instances on one database', () => {
  it('R4: one upload sent to both instances at once is applied once', async () => {
    const wo = createWorkOrder('alice');
    const syncId = uuid();
    const results = await Promise.all([
      sync(first, 'alice', { clientId: 'multi', syncId, changes: [wo.change] }),
      sync(second, 'alice', { clientId: 'multi', syncId, changes: [wo.change] }),
    ]);
    expect(results.map((r) => r.replayed).sort()).toEqual([false, true]);
    expect(results.map((r) => upsertedOf(r, 'WorkOrder', wo.id)?.version)).toEqual([1, 1]);
  });

  it('R18: a device syncing through either instance gets every change made through the other', async () => {
    const start = await syncAllPages(first, 'bob');
    const made = Array.from({ length: 4 }, () => createWorkOrder('bob'));
    await Promise.all(made.map((m, i) => sync(i % 2 ? first : second, 'admin', { changes: [m.change] })));
    await sync(second, 'admin', {
      changes: [change('WorkOrder', { id: made[0]!.id, op: 'UPDATE', baseVersion: 1, values: { title: 'via second' }, base: { title: 'x' } })],
    });
    const next = await syncAllPages(first, 'bob', { checkpoint: start.pages[0]!.checkpoint });
    expect(next.upserted.map((o) => o.id).sort()).toEqual(made.map((m) => m.id).sort());
    expect(next.upserted.find((o) => o.id === made[0]!.id)).toMatchObject({ title: 'via second', version: 2 });
  });
});
