import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEntities } from '../../server/src/demo/entities.ts';
import { defineEntity } from '../../server/src/registry/define-entity.ts';
import { createRegistry } from '../../server/src/registry/registry.ts';
import { syncColumns } from '../../server/src/registry/system-columns.ts';
import { change, uuid } from '../support/graphql.ts';
import { startTestServer, TEST_ORIGIN, type TestServer } from '../support/server.ts';

/**
 * An upload the sync lane ran but cannot serialize itself (a calculated attribute answers a
 * promise, or fails) is handed over to graphql-js, which completes the outcome the lane had: it
 * is applied once, not run again, and answered as graphql-js answers it.
 */

const gauges = pgTable('gauge', { ...syncColumns(), name: text('name').notNull(), reading: integer('reading') });
const gaugeEntity = defineEntity({
  name: 'Gauge',
  table: gauges,
  download: { mode: 'ALL' },
  access: { create: true, writable: { fieldworker: 'all', admin: 'all' } },
  calculated: {
    health: {
      type: 'String',
      compute: (row) => {
        if (row.reading === 13) throw new Error('unlucky reading');
        // Answered later: graphql-js awaits it, the lane's serializer does not.
        if (row.reading === 21) return Promise.resolve('late');
        return 'ok';
      },
    },
  },
});
const gaugeDdl = `create table "gauge" ("id" uuid primary key, "version" integer default 1 not null,
  "created_at" timestamptz default now() not null, "changed_at" timestamptz default now() not null,
  "changed_tx" xid8 default pg_current_xact_id() not null, "name" text not null, "reading" integer)`;

let server: TestServer;
let http: Server;
let origin: string;
beforeAll(async () => {
  server = await startTestServer({
    registry: createRegistry([...demoEntities, gaugeEntity]),
    setupSql: [gaugeDdl],
    fragments: '... on Gauge { name reading health }',
  });
  http = createServer(server.server.app.handleNode);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
  await server.close();
});

const query = `mutation Upload($input: ChangeSet!, $selection: [ObjectRef!]) {
  synchronize(input: $input, selection: $selection) { syncId replayed outcomes { id status version } upserted { id ... on Gauge { name health } } }
}`;

/** A POST to the node:http listener (which runs what the lane knows) or to the fetch handler (never the lane). */
async function post(via: 'listener' | 'fetch', variables: Record<string, unknown>): Promise<string> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' }, body: JSON.stringify({ query, variables }) };
  const response = via === 'listener' ? await fetch(`${origin}/graphql`, init) : await server.fetch(`${TEST_ORIGIN}/graphql`, init);
  return response.text();
}

const upload = (name: string, reading: number) => {
  const id = uuid();
  return { id, variables: { input: { clientId: 'gauges', syncId: uuid(), changes: [change('Gauge', { id, op: 'CREATE', values: { name, reading } })] }, selection: [{ entity: 'Gauge', id }] } };
};

describe('the sync lane hands over what it cannot answer', () => {
  it('an upload whose answer awaits a calculated attribute is applied once and answered as graphql-js answers it', async () => {
    // The lane learns the document from the regular path's first run of it.
    await post('listener', upload('first', 1).variables);
    const { id, variables } = upload('meter', 21);
    const answer = await post('listener', variables);
    // Not run again by graphql-js: a second run would have found the upload applied, and replayed
    // it. The promise is awaited (graphql-js' per-field completion, on either path).
    expect(answer).toBe(`{"data":{"synchronize":{"syncId":"${variables.input.syncId}","replayed":false,"outcomes":[{"id":"${id}","status":"APPLIED","version":1}],"upserted":[{"id":"${id}","name":"meter","health":"late"}]}}}`);
    expect(await post('fetch', variables)).toBe(answer.replace('"replayed":false', '"replayed":true'));
  });

  it('an upload whose answer fails is applied once and answered as graphql-js answers it', async () => {
    await post('listener', upload('first', 1).variables);
    const { id, variables } = upload('boiler', 13);
    const original = console.error;
    console.error = () => {};
    try {
      const answer = await post('listener', variables);
      const parsed = JSON.parse(answer) as { errors?: { message: string; path: unknown[] }[]; data: unknown };
      expect(parsed.errors?.map((e) => [e.message, e.path])).toEqual([['Unexpected error.', ['synchronize', 'upserted']]]);
      expect(parsed.data).toBeNull();
      // Applied: graphql-js' replay of the same upload answers the same, and the object is there.
      expect(await post('fetch', variables)).toBe(answer);
      const after = await post('fetch', { ...variables, input: { ...variables.input, syncId: uuid(), changes: [] }, selection: [] });
      expect(JSON.parse(after).errors).toBeUndefined();
      expect(await server.database.db.$count(gauges)).toBeGreaterThan(0);
    } finally {
      console.error = original;
    }
  });

  it('an upload it can answer is answered by the lane itself, as graphql-js answers its replay', async () => {
    await post('listener', upload('warm-up', 1).variables);
    const { variables } = upload('pump', 7);
    const answer = await post('listener', variables);
    expect(answer).toContain('"health":"ok"');
    expect(answer).toBe((await post('fetch', variables)).replace('"replayed":true', '"replayed":false'));
  });

});
