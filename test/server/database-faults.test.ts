import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.ts';
import { openDatabase } from '../../server/src/db/connect.ts';
import { createSyncServer } from '../../server/src/server.ts';
import { databaseKind } from '../support/database.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { createWorkOrder, customers } from '../support/demo.ts';
import { change, graphql, sync, syncRaw, uuid } from '../support/graphql.ts';
import { demoRegistryWithWorkOrderHooks } from '../support/hooked-registry.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * PostgreSQL connections terminated (pg_terminate_backend) during a sync and between syncs, and
 * the database unreachable for a while: requests fail clearly and fast, nothing is half-applied,
 * the retry applies once, and the server recovers by itself. PGlite has no connections to lose,
 * so this runs on PostgreSQL.
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

  it('while the database is away: clear SERVICE_UNAVAILABLE answers, no hang; it recovers by itself when it is back', async () => {
    const proxy = await startTcpProxy('127.0.0.1', 5432);
    const url = new URL((server.database as { url?: string }).url!);
    url.host = `127.0.0.1:${proxy.port}`;
    const database = await openDatabase({ url: url.toString(), maxConnections: 2 });
    const viaProxy = await createSyncServer({ config: loadConfig({ NODE_ENV: 'test' }), database, registry });
    const call = async () => {
      const response = await viaProxy.app.fetch(
        new Request(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' },
          body: JSON.stringify({ query: '{ workOrders { totalCount } }' }),
        }),
      );
      const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
      return body.errors ? String(body.errors[0]!.extensions?.code) : 'ok';
    };
    const original = console.error;
    console.error = () => {};
    try {
      expect(await call()).toBe('ok');
      await proxy.cut();
      expect(await call()).toBe('SERVICE_UNAVAILABLE');
      expect(await call()).toBe('SERVICE_UNAVAILABLE');
      await proxy.restore();
      const answers = [await call(), await call(), await call()];
      expect(answers.at(-1)).toBe('ok');
    } finally {
      console.error = original;
      await viaProxy.close();
      await database.close();
      await proxy.close();
    }
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
