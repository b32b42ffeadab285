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

  it('classifies a body with neither data nor errors, and a text body that is not JSON', async () => {
    expect(await failureOf(json(200, { hello: 1 }))).toMatchObject({ kind: 'protocol', mayHaveApplied: true });
    const text = async () => new Response('upstream said no', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/plain' } });
    expect(await failureOf(text)).toMatchObject({ kind: 'server', status: 502 });
  });

  it('sends a sync with changes as a GraphQL POST: operation name, document, variables, headers', async () => {
    const upload = { ...input, checkpoint: 'é€😀', changes: [{ WorkOrder: { id: 'w', op: 'DELETE' as const, baseVersion: 1 } }] };
    let init: RequestInit | undefined;
    let url: unknown;
    const transport = createTransport({
      url: 'http://sync.test/graphql',
      token: 'dev:alice',
      headers: { 'X-App': 'field' },
      fetch: async (input, given) => {
        url = input;
        init = given;
        return json(200, { data: { synchronize: { syncId: 's' } } })();
      },
    });
    const progress = { sent: -1, sending(bytes: number) { this.sent = bytes; }, receiving() {} };
    const result = await transport.synchronize({ input: upload, selection: null }, progress);
    expect(result).toEqual({ syncId: 's' });
    expect(String(url)).toBe('http://sync.test/graphql');
    expect(init?.method).toBe('POST');
    const headers = new Headers(init?.headers);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('authorization')).toBe('Bearer dev:alice');
    expect(headers.get('x-app')).toBe('field');
    expect(headers.get('accept')).toContain('application/json');
    const body = JSON.parse(String(init?.body)) as { operationName: string; query: string; variables: unknown };
    expect(body.operationName).toBe('Synchronize');
    expect(body.query).toContain('mutation Synchronize(');
    expect(body.query).toContain('fragment SyncResultFields');
    expect(body.variables).toEqual({ input: upload, selection: null });
    // Byte for byte the JSON of { operationName, query, variables }, as urql sends it.
    expect(String(init?.body)).toBe(JSON.stringify({ operationName: body.operationName, query: body.query, variables: body.variables }));
    expect(progress.sent).toBe(new TextEncoder().encode(String(init?.body)).byteLength);
  });

  it('sends a sync with nothing to upload as the download query, by GET while the URL is short, else by POST', async () => {
    const requests: { url: URL; init: RequestInit | undefined }[] = [];
    const transport = createTransport({
      url: 'http://sync.test/graphql?tenant=t',
      token: 'dev:alice',
      fetch: async (given, init) => {
        requests.push({ url: new URL(String(given)), init });
        return json(200, { data: { download: { syncId: 's' } } })();
      },
    });
    const progress = { sent: -1, sending(bytes: number) { this.sent = bytes; }, receiving() {} };
    const one = [{ entity: 'WorkOrder' as const, id: 'w' }];
    expect(await transport.synchronize({ input: { ...input, checkpoint: 'é€😀 &=+' }, selection: one }, progress)).toEqual({ syncId: 's' });
    const [get] = requests;
    expect(get!.init?.method).toBe('GET');
    expect(get!.init?.body).toBeUndefined();
    expect(get!.init?.cache).toBe('no-store');
    expect(new Headers(get!.init?.headers).get('authorization')).toBe('Bearer dev:alice');
    expect(new Headers(get!.init?.headers).has('content-type')).toBe(false);
    expect(progress.sent).toBe(0);
    const params = get!.url.searchParams;
    expect([...params.keys()]).toEqual(['tenant', 'operationName', 'query', 'variables']);
    expect(params.get('operationName')).toBe('Download');
    // Printed without the whitespace GraphQL ignores, its spaces written as `+`.
    expect(params.get('query')).toMatch(/^query Download\(\$input:DownloadRequest!\$selection:\[ObjectRef!\]\)\{download\(input:\$input selection:\$selection\)/);
    expect(params.get('query')).not.toMatch(/\s\s|\n/);
    expect(get!.url.search.split('&query=')[1]!.split('&')[0]).not.toContain('%20');
    expect(JSON.parse(params.get('variables')!)).toEqual({ input: { clientId: 'c', syncId: 's', checkpoint: 'é€😀 &=+' }, selection: one });

    // Too long a URL (a selective sync of many objects): the same query, POSTed.
    const many = Array.from({ length: 200 }, (_, i) => ({ entity: 'WorkOrder' as const, id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
    await transport.synchronize({ input, selection: many }, progress);
    const post = requests[1]!;
    expect(post.init?.method).toBe('POST');
    expect(post.url.search).toBe('?tenant=t');
    const body = JSON.parse(String(post.init?.body)) as { operationName: string; variables: unknown };
    expect(body).toMatchObject({ operationName: 'Download', variables: { input: { clientId: 'c', syncId: 's', checkpoint: null }, selection: many } });
    expect(progress.sent).toBe(new TextEncoder().encode(String(post.init?.body)).byteLength);
  });

  it('reports the bytes of a large answer as they arrive, and a small one once it is in', async () => {
    const answer = (padding: number) => new TextEncoder().encode(JSON.stringify({ data: { synchronize: { syncId: 's', padding: 'x'.repeat(padding) } } }));
    const received = async (bytes: Uint8Array) => {
      const reports: Array<[number, number | null]> = [];
      const chunk = 16 * 1024;
      const transport = createTransport({
        url: 'http://sync.test/graphql',
        fetch: async () => {
          let offset = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(controller) {
              if (offset >= bytes.length) return controller.close();
              controller.enqueue(bytes.slice(offset, (offset += chunk)));
            },
          });
          return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) } });
        },
      });
      await transport.synchronize({ input, selection: null }, { sending() {}, receiving: (done, total) => reports.push([done, total]) });
      return reports;
    };
    const small = answer(20_000);
    expect(await received(small)).toEqual([[small.length, small.length]]);
    const large = answer(100_000);
    const reports = await received(large);
    expect(reports.length).toBeGreaterThan(1);
    expect(reports.at(-1)).toEqual([large.length, large.length]);
  });
});
