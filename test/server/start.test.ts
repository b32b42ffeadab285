import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../support/spawn-server.ts';

/**
 * What a newcomer does: `npm start` (here `tsx server/src/main.ts` on a free port) and a request
 * over real HTTP, on the default PGlite; it restarts on the same data directory to prove data persists.
 */

const children: ChildProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'sync-start-'));
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function start() {
  return spawnServer({ PGLITE_DIR: join(dataDir, 'pglite'), DATABASE_URL: '', TEST_DATABASE_URL: '' }, children);
}

async function query(url: string, body: unknown, token = 'Bearer dev:alice') {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
}

describe('npm start', () => {
  it('serves the seeded demo over HTTP, and keeps its data across a restart', { timeout: 120_000 }, async () => {
    const first = await start();
    const seeded = await query(first.url, { query: '{ workOrders { totalCount } }' });
    expect(seeded.json.data).toEqual({ workOrders: { totalCount: 3 } });
    const id = '11111111-1111-4111-8111-111111111111';
    const created = await query(first.url, {
      query: 'mutation($input: ChangeSet!) { synchronize(input: $input) { outcomes { status } } }',
      variables: {
        input: {
          clientId: 'start-test',
          syncId: 'one',
          changes: [{ WorkOrder: { id, op: 'CREATE', values: { title: 'Persisted', customerId: '00000000-0000-4000-8000-000000000001', assigneeId: 'alice' } } }],
        },
      },
    });
    expect(created.json.data).toEqual({ synchronize: { outcomes: [{ status: 'APPLIED' }] } });
    expect((await query(first.url, { query: '{ viewer { id } }' }, 'Bearer nope')).status).toBe(401);
    await first.stop();

    const second = await start();
    const after = await query(second.url, { query: `{ workOrder(id: "${id}") { title } workOrders { totalCount } }` });
    expect(after.json.data).toEqual({ workOrder: { title: 'Persisted' }, workOrders: { totalCount: 4 } });
    await second.stop();
  });
});
