import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKind } from '../support/database.ts';
import { createWorkOrder, customers } from '../support/demo.ts';
import { change, graphql, sync, syncRaw, uuid } from '../support/graphql.ts';
import { demoRegistryWithWorkOrderHooks } from '../support/hooked-registry.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * PostgreSQL connections terminated (pg_terminate_backend) during a sync and between syncs: the
 * request fails clearly, nothing is half-applied, the retry applies once, and the server
 * recovers by itself. PGlite has no connections to terminate, so this runs on PostgreSQL.
 */

let killSwitch = false;
const registry = demoRegistryWithWorkOrderHooks({
  // The database goes away in the middle of the sync transaction.
  afterCommit: async ({ db, row }) => {
    if (killSwitch && row.title === 'pull the plug') await db.execute(sql`select pg_terminate_backend(pg_backend_pid())`);
  },
});

let server: TestServer;
beforeAll(async () => {
  if (databaseKind !== 'postgres') return;
  server = await startTestServer({ registry, config: { seedDemoData: false } });
  await sync(server, 'admin', { changes: [change('Customer', { id: customers.harbor, op: 'CREATE', values: { name: 'Harbor' } })] });
});
afterAll(() => server?.close());

describe.runIf(databaseKind === 'postgres')('PostgreSQL connections terminated', () => {
  it('during a sync: a clear error, nothing applied; the retry with the same syncId applies once', async () => {
    const ok = createWorkOrder('alice');
    const plug = createWorkOrder('alice', { title: 'pull the plug' });
    const syncId = uuid();
    killSwitch = true;
    const original = console.error;
    console.error = () => {};
    let failed;
    try {
      failed = await syncRaw(server, 'alice', { clientId: 'unlucky', syncId, changes: [ok.change, plug.change] });
    } finally {
      console.error = original;
      killSwitch = false;
    }
    expect(failed.errors?.[0]).toMatchObject({ message: 'The database is unavailable; try again later', extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const nothing = await graphql<{ workOrders: { totalCount: number } }>(server, 'admin', `query($id: ID) { workOrders(filter: { id: $id }) { totalCount } }`, { id: ok.id });
    expect(nothing.data!.workOrders.totalCount).toBe(0);
    const retry = await sync(server, 'alice', { clientId: 'unlucky', syncId, changes: [ok.change, plug.change] });
    expect(retry.replayed).toBe(false);
    expect(retry.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'APPLIED']);
    const again = await sync(server, 'alice', { clientId: 'unlucky', syncId, changes: [ok.change, plug.change] });
    expect(again.replayed).toBe(true);
  });

  it('between syncs (the database restarted): the server reconnects by itself', async () => {
    const url = (server.database as { url?: string }).url!;
    const admin = postgres(process.env.TEST_DATABASE_URL || process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      const name = new URL(url).pathname.slice(1);
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
    } finally {
      await admin.end();
    }
    const original = console.error;
    console.error = () => {};
    const answers: string[] = [];
    try {
      // The pool notices dead connections on use; a request may fail clearly, never hang.
      for (let i = 0; i < 5; i++) {
        const response = await syncRaw(server, 'alice', { changes: [createWorkOrder('alice').change] });
        answers.push(response.errors ? String(response.errors[0]!.extensions?.code) : 'ok');
      }
    } finally {
      console.error = original;
    }
    expect(answers.every((a) => a === 'ok' || a === 'SERVICE_UNAVAILABLE')).toBe(true);
    expect(answers.at(-1)).toBe('ok');
  });
});
