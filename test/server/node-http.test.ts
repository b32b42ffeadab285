import { request as httpRequest } from 'node:http';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadDocument, SynchronizeDocument } from '../../client-sdk/src/generated/graphql.ts';
import { parseSearchParams } from '../../server/src/http/graphql-post.ts';
import { createWorkOrder, customers, photoValues } from '../support/demo.ts';
import { change, sync, synchronizeDocument, uuid } from '../support/graphql.ts';
import { listenNode, startTestServer, TEST_ORIGIN, type NodeListener, type TestServer } from '../support/server.ts';

/**
 * The app as `npm start` serves it: the `node:http` listener, whose GraphQL GETs and POSTs skip the fetch
 * `Request`/`Response` round trip. Every request here is sent both ways, to the listener over
 * loopback and to the fetch handler, and must get the same answer: status, content type, CORS
 * headers and body.
 */

const LIMIT = 20_000;
let server: TestServer;
let listener: NodeListener;
let origin: string;
beforeAll(async () => {
  server = await startTestServer({ limits: { maxBodyBytes: LIMIT } });
  listener = await listenNode(server);
  origin = listener.origin;
});
afterAll(async () => {
  await listener.close();
  await server.close();
});

interface Answer {
  status: number;
  contentType: string | null;
  cors: (string | null)[];
  body: string;
}

const URQL_ACCEPT = 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed';

/** What a response says, with what differs per call (the checkpoint's snapshot and time) blanked. */
async function answerOf(response: Response): Promise<Answer> {
  const cors = ['access-control-allow-origin', 'access-control-allow-credentials', 'vary'].map((h) => response.headers.get(h));
  // File URLs differ by origin (and expire a fixed time after they are made); checked apart.
  const body = (await response.text()).replace(/"(checkpoint|nextPage|url|expiresAt)":"[^"]+"/g, '"$1":"…"');
  return { status: response.status, contentType: response.headers.get('content-type'), cors, body };
}

/** The same request through the fetch handler and through the node listener. */
async function both(path: string, init: RequestInit): Promise<[Answer, Answer]> {
  const viaFetch = await answerOf(await server.fetch(`${TEST_ORIGIN}${path}`, init));
  const viaNode = await answerOf(await fetch(`${origin}${path}`, init));
  return [viaFetch, viaNode];
}

function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** The path of a GET of `/graphql` with these parameters. */
const get = (params: Record<string, string>) => `/graphql?${new URLSearchParams(params)}`;
/** A GET's request, as the SDK sends one: a token, no body, no content type. */
const getInit = (headers: Record<string, string> = {}) => (): RequestInit => ({ headers: { authorization: 'Bearer dev:alice', ...headers } });

/** The SDK's `download` query of one customer, as GET parameters. */
const download = (syncId: string) => ({
  operationName: 'Download',
  query: print(DownloadDocument),
  variables: JSON.stringify({ input: { clientId: 'node-http', syncId, checkpoint: null }, selection: [{ entity: 'Customer', id: customers.harbor }] }),
});

const selective = (syncId: string) => ({
  query: print(SynchronizeDocument),
  variables: { input: { clientId: 'node-http', syncId, checkpoint: null, changes: [] }, selection: [{ entity: 'Customer', id: customers.harbor }] },
});

describe('the node:http listener answers like the fetch handler', () => {
  const cases: [string, string, () => RequestInit][] = [
    ['a query', '/graphql', () => post({ query: '{ viewer { id roles } }' })],
    ['the SDK document, as urql asks for it', '/graphql', () => post(selective('fixed-sync-id'), { accept: URQL_ACCEPT })],
    ['a complete download', '/graphql', () => post({ query: synchronizeDocument(), variables: { input: { clientId: 'c', syncId: 'fixed', checkpoint: null, changes: [] } } })],
    ['a request error of the sync core', '/graphql', () => post({ query: 'query($c: String!) { downloadPage(cursor: $c) { hasMore } }', variables: { c: 'nope' } })],
    ['a validation error (graphql-response+json)', '/graphql', () => post({ query: '{ nope }' }, { accept: 'application/graphql-response+json' })],
    ['a validation error (json)', '/graphql', () => post({ query: '{ nope }' })],
    ['a syntax error', '/graphql', () => post({ query: '{ viewer' })],
    ['a body that is not JSON', '/graphql', () => post('{')],
    ['a body that is not an object', '/graphql', () => post('[1]')],
    ['an unexpected parameter', '/graphql', () => post({ query: '{ viewer { id } }', hello: 1 })],
    ['a variable of the wrong type', '/graphql', () => post({ query: 'query($c: String!) { downloadPage(cursor: $c) { hasMore } }', variables: { c: 5 } })],
    ['two operations and an operationName', '/graphql', () => post({ query: 'query A { viewer { id } } query B { viewer { roles } }', operationName: 'B' })],
    ['two operations and no operationName', '/graphql', () => post({ query: 'query A { viewer { id } } query B { viewer { roles } }' })],
    ['an unknown operationName', '/graphql', () => post({ query: 'query A { viewer { id } }', operationName: 'C' })],
    ['a mutation by GET', '/graphql?query=mutation%7BresolveSynchronizationFailure(id%3A%22x%22)%7Bid%7D%7D', () => ({ headers: { authorization: 'Bearer dev:alice' } })],
    ['a query by GET', '/graphql?query=%7Bviewer%7Bid%7D%7D', () => ({ headers: { authorization: 'Bearer dev:alice' } })],
    ['the SDK download query by GET', get(download('fixed-sync-id')), getInit({ accept: URQL_ACCEPT })],
    ['a complete download by GET', get({ query: print(DownloadDocument), variables: JSON.stringify({ input: { clientId: 'c', syncId: 'fixed' } }) }), getInit()],
    ['a GET with variables that are not JSON', get({ query: '{ viewer { id } }', variables: '{' }), getInit()],
    ['a GET with variables that are not an object', get({ query: '{ viewer { id } }', variables: '[1]' }), getInit()],
    ['a GET with another parameter', get({ query: '{ viewer { id } }', extensions: '{}' }), getInit()],
    ['a GET with a parameter twice', `${get({ query: '{ viewer { id } }' })}&query=%7Bviewer%7Broles%7D%7D`, getInit()],
    ['a GET with an empty operationName', get({ query: '{ viewer { id } }', operationName: '' }), getInit()],
    ['a GET of two operations and an operationName', get({ query: 'query A { viewer { id } } query B { viewer { roles } }', operationName: 'B' }), getInit()],
    ['a GET with a syntax error', get({ query: '{ viewer' }), getInit()],
    ['a GET with a validation error', get({ query: '{ nope }' }), getInit({ accept: 'application/graphql-response+json' })],
    ['a GET without a token', get({ query: '{ viewer { id } }' }), () => ({})],
    ['a GET of a query by a browser (HTML first)', get({ query: '{ viewer { id } }' }), getInit({ accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })],
    ['a cross-origin GET (CORS)', get({ query: '{ viewer { id } }' }), getInit({ origin: 'https://app.example' })],
    ['a cross-origin POST (CORS)', '/graphql', () => post({ query: '{ viewer { id } }' }, { origin: 'https://app.example' })],
    ['a client accepting only event streams', '/graphql', () => post({ query: '{ viewer { id } }' }, { accept: 'text/event-stream' })],
    ['a client accepting nothing yoga serves', '/graphql', () => post({ query: '{ viewer { id } }' }, { accept: 'text/html' })],
    ['no token', '/graphql', () => post({ query: '{ viewer { id } }' }, { authorization: '' })],
    ['a malformed token', '/graphql', () => post({ query: '{ viewer { id } }' }, { authorization: 'Basic abc' })],
    ['a body over the limit', '/graphql', () => post({ query: `{ viewer { id } } # ${'x'.repeat(LIMIT)}` })],
    ['another content type', '/graphql', () => post('{ viewer { id } }', { 'content-type': 'application/graphql' })],
    ['a path that is not served', '/nothing', () => post({ query: '{ viewer { id } }' })],
    ['the GraphiQL page', '/graphql', () => ({ headers: { accept: 'text/html' } })],
    ['a file content request without a token', `/files/${'a'.repeat(64)}`, () => ({})],
  ];
  for (const [name, path, init] of cases) {
    it(`${name}`, async () => {
      const [viaFetch, viaNode] = await both(path, init());
      expect(viaNode).toEqual(viaFetch);
    });
  }

  it('writes an answer over 64 KB (as bytes, not text) like a small one', async () => {
    const long = Array.from({ length: 5 }, () => createWorkOrder('alice', { description: `é${'x'.repeat(15_000)}` }));
    for (const wo of long) await sync(server, 'alice', { changes: [wo.change] });
    const selection = long.map(({ id }) => ({ entity: 'WorkOrder', id }));
    const body = { query: synchronizeDocument(), variables: { input: { clientId: 'node-http', syncId: 'long', checkpoint: null, changes: [] }, selection } };
    const [viaFetch, viaNode] = await both('/graphql', post(body));
    expect(viaNode.body.length).toBeGreaterThan(64 * 1024);
    expect(viaNode).toEqual(viaFetch);
  });

  it('refuses a GET whose variables or extensions are not JSON as a bad request', async () => {
    for (const path of [get({ query: '{ viewer { id } }', variables: '{' }), get({ query: '{ viewer { id } }', extensions: '{' })]) {
      const [viaFetch, viaNode] = await both(path, getInit()());
      expect(viaNode).toEqual(viaFetch);
      expect(viaNode.status).toBe(400);
      expect(JSON.parse(viaNode.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    }
  });

  it('reads the parameters of a GET it serves itself, and leaves every other GET to yoga', () => {
    const params = download('s');
    expect(parseSearchParams(new URLSearchParams(params).toString())).toEqual({ ...params, variables: JSON.parse(params.variables) });
    expect(parseSearchParams('query=%7Bviewer%7Bid%7D%7D')).toEqual({ query: '{viewer{id}}', variables: undefined, operationName: undefined });
    // Decoded as URLSearchParams decodes: `+` is a space, empty pairs are skipped.
    for (const search of ['query=a+b%2Bc%20%C3%A9&&operationName=%F0%9F%98%80&', 'query=x&variables=%7B%22a%22%3A%22%2B+%22%7D']) {
      const expected = Object.fromEntries(new URLSearchParams(search));
      expect(parseSearchParams(search)).toEqual({ query: expected.query, variables: expected.variables && JSON.parse(expected.variables), operationName: expected.operationName });
    }
    const left = ['', 'variables=%7B%7D', 'query=x&variables=%7B', 'query=x&variables=5', 'query=x&variables=null', 'query=x&extensions=%7B%7D', 'query=x&query=y'];
    left.push('query=x&operationName=', 'query=x&operationName', '%71uery=x', 'query=%E0%A4%A', 'query=%zz');
    for (const search of left) expect(parseSearchParams(search)).toBeNull();
  });

  it('an upload through the listener is applied once, and its retry is replayed', async () => {
    const wo = createWorkOrder('alice');
    const body = { query: synchronizeDocument(), variables: { input: { clientId: 'node-http', syncId: uuid(), checkpoint: null, changes: [wo.change] }, selection: [] } };
    const first = (await (await fetch(`${origin}/graphql`, post(body))).json()) as { data: { synchronize: { outcomes: { status: string }[]; replayed: boolean } } };
    expect(first.data.synchronize).toMatchObject({ outcomes: [{ status: 'APPLIED' }], replayed: false });
    const retry = (await (await fetch(`${origin}/graphql`, post(body))).json()) as typeof first;
    expect(retry.data.synchronize).toMatchObject({ outcomes: [{ status: 'APPLIED' }], replayed: true });
  });

  it('file URLs are made absolute with the origin the request was addressed to', async () => {
    const wo = createWorkOrder('alice');
    const photo = uuid();
    await sync(server, 'alice', { changes: [wo.change, change('Photo', { id: photo, op: 'CREATE', values: await photoValues(server, wo.id) })] });
    const body = { query: synchronizeDocument(), variables: { input: { clientId: 'node-http', syncId: uuid(), checkpoint: null, changes: [] }, selection: [{ entity: 'Photo', id: photo }] } };
    const answer = (await (await fetch(`${origin}/graphql`, post(body))).json()) as { data: { synchronize: { files: { url: string }[] } } };
    expect(answer.data.synchronize.files).toHaveLength(1);
    expect(answer.data.synchronize.files[0]!.url.startsWith(`${origin}/files/`)).toBe(true);
  });

  it('a client that goes away mid-body leaves the listener serving', async () => {
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000', authorization: 'Bearer dev:alice' } });
      request.on('error', () => resolve());
      request.write('{"query": "{ viewer');
      setTimeout(() => request.destroy(), 50);
    });
    const [, viaNode] = await both('/graphql', post({ query: '{ viewer { id } }' }));
    expect(viaNode).toMatchObject({ status: 200, body: '{"data":{"viewer":{"id":"alice"}}}' });
  });

  it('a streamed body (no Content-Length) over the limit gets 413 and is not executed', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      });
      request.on('error', reject);
      request.write(JSON.stringify({ query: `{ viewer { id } } # ${'x'.repeat(LIMIT)}` }));
      request.end();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ errors: [{ message: `The request body is larger than the limit of ${LIMIT} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });
});
