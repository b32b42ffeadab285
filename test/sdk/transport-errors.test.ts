import { describe, expect, it } from 'vitest';
import { createTransport, SyncRequestError, type FetchLike } from '../../client-sdk/src/index.ts';

/** Unit tests of how the transport classifies request failures. */

const input = { clientId: 'c', syncId: 's', checkpoint: null, changes: [] };

async function failureOf(fetch: FetchLike): Promise<SyncRequestError> {
  const transport = createTransport({ url: 'http://sync.test/graphql', fetch, token: 'dev:alice' });
  const error = await transport.synchronize({ input, selection: null }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SyncRequestError);
  return error as SyncRequestError;
}

const json = (status: number, body: unknown) => async () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('request failure classification', () => {
  it.each([
    ['a 401', json(401, { errors: [{ message: 'Unauthenticated' }] }), 'unauthorized', false],
    ['a 413', async () => new Response('too large', { status: 413, statusText: 'Payload Too Large' }), 'payload-too-large', false],
    ['a 503', async () => new Response('down', { status: 503, statusText: 'Service Unavailable' }), 'server', true],
    ['a 404', async () => new Response('nope', { status: 404, statusText: 'Not Found' }), 'http', false],
    ['a validation error', json(400, { errors: [{ message: 'Unknown type "Nope"' }] }), 'graphql', false],
    ['a resolver error', json(200, { data: null, errors: [{ message: 'boom', path: ['synchronize'] }] }), 'graphql', true],
    ['a network failure', async () => Promise.reject(new TypeError('fetch failed')), 'network', true],
    ['a body that is not JSON', async () => new Response('<html>', { status: 200, headers: { 'content-type': 'application/json' } }), 'protocol', true],
  ] as const)('%s', async (_, fetch, kind, mayHaveApplied) => {
    const error = await failureOf(fetch);
    expect(error).toMatchObject({ kind, mayHaveApplied });
  });

  it('keeps the GraphQL errors and the status', async () => {
    const error = await failureOf(json(400, { errors: [{ message: 'Variable "$input" got invalid value' }] }));
    expect(error.status).toBe(400);
    expect(error.graphQLErrors).toEqual([{ message: 'Variable "$input" got invalid value' }]);
    expect(error.message).toContain('Variable "$input" got invalid value');
  });

  it('sends the bearer token', async () => {
    let authorization: string | null = null;
    await failureOf(async (_, init) => {
      authorization = new Headers(init?.headers).get('authorization');
      throw new TypeError('offline');
    });
    expect(authorization).toBe('Bearer dev:alice');
  });
});
