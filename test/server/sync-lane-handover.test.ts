import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEntities } from '../../server/src/demo/entities.ts';
import { createRegistry } from '../../server/src/registry/registry.ts';
import { change, uuid } from '../support/graphql.ts';
import { gaugeDdl, gaugeEntity, gauges } from '../support/gauge-entity.ts';
import { listenNode, startTestServer, TEST_ORIGIN, type NodeListener, type TestServer } from '../support/server.ts';

/**
 * An upload the sync lane ran but cannot serialize itself (a calculated attribute answers a
 * promise, or fails) is handed over to graphql-js, which completes the outcome the lane had: it
 * is applied once, not run again, and answered as graphql-js answers it.
 */

let server: TestServer;
let listener: NodeListener;
beforeAll(async () => {
  server = await startTestServer({
    registry: createRegistry([...demoEntities, gaugeEntity]),
    setupSql: [gaugeDdl],
    fragments: '... on Gauge { name reading health }',
  });
  listener = await listenNode(server);
});
afterAll(async () => {
  await listener.close();
  await server.close();
});

const query = `mutation Upload($input: ChangeSet!, $selection: [ObjectRef!]) {
  synchronize(input: $input, selection: $selection) { syncId replayed outcomes { id status version } upserted { id ... on Gauge { name health } } }
}`;

/** A POST to the node:http listener (which runs what the lane knows) or to the fetch handler (never the lane). */
async function post(via: 'listener' | 'fetch', variables: Record<string, unknown>): Promise<string> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' }, body: JSON.stringify({ query, variables }) };
  const response = via === 'listener' ? await fetch(`${listener.origin}/graphql`, init) : await server.fetch(`${TEST_ORIGIN}/graphql`, init);
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
