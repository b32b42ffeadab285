import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedIds } from '../../server/src/demo/seed.ts';
import { createPostgresTestDatabase, testDatabaseUrl } from '../support/database.ts';
import { spawnServer } from '../support/spawn-server.ts';

/**
 * A server process killed (SIGKILL) in the middle of a sync and started again: the upload is
 * either committed, and the retry with the same syncId replays it, or not, and the retry applies
 * it; either way each object exists once. Runs on PostgreSQL when configured, else on PGlite.
 */

const children: ChildProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'sync-kill-'));
let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await cleanup?.();
  rmSync(dataDir, { recursive: true, force: true });
});

function start(env: NodeJS.ProcessEnv) {
  return spawnServer(env, children);
}

const SYNC = `mutation($input: ChangeSet!) { synchronize(input: $input) { replayed outcomes { status } } }`;

describe('a server process killed during a sync', () => {
  it('ends consistent after a restart: nothing lost, nothing applied twice', { timeout: 240_000 }, async () => {
    const env: NodeJS.ProcessEnv = { PGLITE_DIR: join(dataDir, 'pglite'), DATABASE_URL: '', TEST_DATABASE_URL: '' };
    if (testDatabaseUrl) {
      const created = await createPostgresTestDatabase(testDatabaseUrl);
      env.DATABASE_URL = created.url;
      cleanup = created.drop;
    }
    const ids = Array.from({ length: 2000 }, (_, i) => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`);
    const input = {
      clientId: 'killed-device',
      syncId: 'the-one-upload',
      changes: ids.map((id) => ({ WorkOrder: { id, op: 'CREATE', values: { title: 'bulk', customerId: seedIds.customers.harbor, assigneeId: 'alice' } } })),
    };
    const post = (url: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' },
        body: JSON.stringify({ query: SYNC, variables: { input } }),
      });

    const first = await start(env);
    const pending = post(first.url).then(
      () => 'answered',
      () => 'connection lost',
    );
    // Kill it while the request is in flight (whether or not it committed yet does not matter).
    await new Promise((resolve) => setTimeout(resolve, 50));
    first.child.kill('SIGKILL');
    await pending;

    const second = await start(env);
    const retry = (await (await post(second.url)).json()) as { data: { synchronize: { replayed: boolean; outcomes: { status: string }[] } } };
    expect(retry.data.synchronize.outcomes).toHaveLength(2000);
    expect(retry.data.synchronize.outcomes.every((o) => o.status === 'APPLIED')).toBe(true);
    const again = (await (await post(second.url)).json()) as { data: { synchronize: { replayed: boolean } } };
    expect(again.data.synchronize.replayed).toBe(true);
    const count = (await (
      await fetch(second.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer dev:admin' },
        body: JSON.stringify({ query: '{ workOrders(filter: { title: "bulk" }, first: 1) { totalCount } }' }),
      })
    ).json()) as { data: { workOrders: { totalCount: number } } };
    expect(count.data.workOrders.totalCount).toBe(2000);
    second.child.kill('SIGTERM');
  });
});
