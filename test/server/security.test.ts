import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.ts';
import { demoEntities } from '../../server/src/demo/entities.ts';
import { createRegistry } from '../../server/src/registry/registry.ts';
import { change, graphql, sync, uuid } from '../support/graphql.ts';
import { gaugeDdl, gaugeEntity } from '../support/gauge-entity.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Hostile input and production hardening: query limits, batches, masked errors. */

let dev: TestServer;
let gaugeServer: TestServer;
beforeAll(async () => {
  const registry = createRegistry([...demoEntities, gaugeEntity]);
  const production = { ...loadConfig({ NODE_ENV: 'production', FILE_URL_SECRET: 'x' }), auth: { jwtSecret: 'unused-in-this-test-but-configured' } };
  [dev, gaugeServer] = await Promise.all([
    startTestServer({ limits: { maxQueryDepth: 6, maxQueryFields: 200 } }),
    startTestServer({ registry, setupSql: [gaugeDdl], config: { ...production, mode: 'development' }, fragments: '... on Gauge { name reading health }' }),
  ]);
});
afterAll(() => Promise.all([dev.close(), gaugeServer.close()]));

describe('query limits', () => {
  it('refuses a document nested deeper than the limit', async () => {
    const deep = await graphql(dev, 'alice', '{ __schema { types { fields { type { ofType { ofType { name } } } } } } }');
    expect(deep.errors?.[0]).toMatchObject({ message: 'The query is nested deeper than the limit of 6 levels', extensions: { code: 'QUERY_TOO_COMPLEX' } });
    const ok = await graphql(dev, 'alice', '{ __schema { types { name } } }');
    expect(ok.errors).toBeUndefined();
  });

  it('refuses a document selecting too many fields, counting every use of a fragment', async () => {
    const aliases = Array.from({ length: 201 }, (_, i) => `a${i}: viewer { id }`).join(' ');
    const wide = await graphql(dev, 'alice', `{ ${aliases} }`);
    expect(wide.errors?.[0]?.message).toBe('The query selects more than the limit of 200 fields');
    const fanOut = `fragment A on Viewer { id roles } fragment B on Query { ${Array.from({ length: 70 }, (_, i) => `v${i}: viewer { ...A }`).join(' ')} }
      query { ...B b2: viewer { ...A } }`;
    const fragments = await graphql(dev, 'alice', fanOut);
    expect(fragments.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses batched operations', async () => {
    const response = await dev.fetch(dev.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' },
      body: JSON.stringify([{ query: '{ viewer { id } }' }, { query: '{ viewer { id } }' }]),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    const body = (await response.json()) as { errors?: { message: string }[] };
    expect(body.errors?.[0]?.message).toBeTruthy();
  });
});

describe('masked errors', () => {
  it('an unexpected error reaches the client as "Unexpected error." with no detail or stack trace', async () => {
    const id = uuid();
    const original = console.error;
    console.error = () => {};
    try {
      const response = await graphql(gaugeServer, 'alice', `mutation($input: ChangeSet!) { synchronize(input: $input, selection: [{ entity: Gauge, id: "${id}" }]) { upserted { id ... on Gauge { health } } } }`, {
        input: { clientId: 'c', syncId: uuid(), changes: [change('Gauge', { id, op: 'CREATE', values: { name: 'boiler', reading: 13 } })] },
      });
      const text = JSON.stringify(response);
      expect(response.errors?.[0]?.message).toBe('Unexpected error.');
      expect(text).not.toContain('secret internal detail');
      expect(text).not.toMatch(/stack|gauge\.ts/);
      // The upload itself went through: the error was only in computing the answer.
      const reread = await sync(gaugeServer, 'alice', { selection: [{ entity: 'Gauge', id }], fragments: '... on Gauge { name reading }' });
      expect(reread.upserted[0]).toMatchObject({ name: 'boiler', reading: 13 });
    } finally {
      console.error = original;
    }
  });
});
