import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getOperationAST, parse, print, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadDocument, DownloadPageDocument } from '../../client-sdk/src/generated/graphql.ts';
import { buildSchema } from '../../server/src/graphql/schema.ts';
import { createSyncLane, type SyncLane } from '../../server/src/graphql/sync-lane.ts';
import { createWorkOrder, customers, photoValues } from '../support/demo.ts';
import { change, sync, uuid } from '../support/graphql.ts';
import { startTestServer, TEST_ORIGIN, type TestServer } from '../support/server.ts';

/**
 * The sync lane answers the SDK's download queries exactly as graphql-js does: every request
 * here is run by the lane and by the regular path (the fetch handler, which never uses the lane),
 * and the two answers must be the same text. What the lane does not handle must be left to the
 * regular path.
 */

let server: TestServer;
let lane: SyncLane;
let http: Server;
let origin: string;
const schema = () => buildSchema(server.server.services.registry);
const work = { id: uuid(), photo: uuid() };

beforeAll(async () => {
  // Small pages, so that a complete download has further pages.
  server = await startTestServer({ limits: { downloadResetPageSize: 3 } });
  lane = createSyncLane(schema(), server.server.services.registry);
  http = createServer(server.server.app.handleNode);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const wo = createWorkOrder('alice', {}, work.id);
  await sync(server, 'alice', { changes: [wo.change, change('Photo', { id: work.photo, op: 'CREATE', values: await photoValues(server, wo.id) })] });
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
  await server.close();
});

/** What differs per call (a checkpoint's snapshot and time, a file URL's expiry) blanked. */
const blank = (body: string) => body.replace(/"(checkpoint|nextPage|expiresAt)":"[^"]+"/g, '"$1":"…"').replace(/\?[^"]*"/g, '?…"');

/** The regular path's answer: the fetch handler, through yoga and graphql-js. */
async function regular(query: string, variables: Record<string, unknown>, user = 'alice'): Promise<string> {
  const response = await server.fetch(`${TEST_ORIGIN}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer dev:${user}` },
    body: JSON.stringify({ query, variables }),
  });
  return blank(await response.text());
}

/** Teaches the lane a document (as the regular path does once it validated it), then runs it there. */
async function viaLane(query: string, variables: Record<string, unknown>, user = 'alice'): Promise<string | null> {
  const document = parse(query);
  expect(validate(schema(), document)).toEqual([]);
  lane.learn(query, undefined, document, getOperationAST(document)!);
  const viewer = { id: user, roles: user === 'admin' ? ['admin'] : ['fieldworker'] };
  const known = lane.find(query, undefined);
  const result = known && (await known.run(variables, { viewer, services: server.server.services, baseUrl: TEST_ORIGIN }));
  return result ? blank(JSON.stringify(result)) : null;
}

const downloadQuery = print(DownloadDocument);
const input = (syncId = 'lane-sync') => ({ clientId: 'lane', syncId, checkpoint: null });

describe('the lane answers as graphql-js does', () => {
  const cases: [string, string, () => Record<string, unknown>][] = [
    ['a selective sync of objects of each entity, a file and an unknown object', downloadQuery, () => ({
      input: input(),
      selection: [
        { entity: 'WorkOrder', id: work.id },
        { entity: 'Photo', id: work.photo },
        { entity: 'Customer', id: customers.harbor },
        { entity: 'Feedback', id: uuid() },
      ],
    })],
    ['an idle selective sync (nothing selected)', downloadQuery, () => ({ input: input(), selection: [] })],
    ['a complete download (first page)', downloadQuery, () => ({ input: input() })],
    ['ids given as numbers, a selection given as one object', downloadQuery, () => ({ input: { clientId: 7, syncId: 8 }, selection: { entity: 'Customer', id: customers.harbor } })],
    ['aliases, fragments, __typename and a field selected twice', `query Q($i: DownloadRequest!, $s: [ObjectRef!]) {
        result: download(input: $i, selection: $s) {
          __typename kind: __typename syncId ...More
          upserted { __typename id }
          upserted { ... on WorkOrder { title isOverdue hours: hoursSpent } ... on SyncObject { version } ...Photo }
          files { ...File url }
          gone: deleted { id entity __typename }
          failures { id message content } outcomes { id status }
        }
      }
      fragment More on SyncResult { hasMore reset replayed nextPage checkpoint syncId }
      fragment Photo on Photo { fileName contentHash size }
      fragment File on FileUrl { __typename entity id contentHash size expiresAt }`, () => ({
      i: input(),
      s: [{ entity: 'WorkOrder', id: work.id }, { entity: 'Photo', id: work.photo }, { entity: 'WorkOrder', id: uuid() }],
    })],
  ];
  for (const [name, query, variables] of cases) {
    it(name, async () => {
      const vars = variables();
      const fast = await viaLane(query, vars);
      expect(fast).not.toBeNull();
      expect(fast).toBe(await regular(query, vars));
    });
  }

  it('a further download page', async () => {
    const first = JSON.parse(await (await server.fetch(`${TEST_ORIGIN}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' },
      body: JSON.stringify({ query: downloadQuery, variables: { input: input(uuid()) } }),
    })).text()) as { data: { download: { nextPage: string } } };
    const cursor = first.data.download.nextPage;
    expect(cursor).toBeTruthy();
    const query = print(DownloadPageDocument);
    const fast = await viaLane(query, { cursor });
    expect(fast).not.toBeNull();
    expect(fast).toBe(await regular(query, { cursor }));
  });
});

describe('what the lane leaves to the regular path', () => {
  const documents: [string, string][] = [
    ['a directive', 'query($i: DownloadRequest!, $s: Boolean!) { download(input: $i) { syncId @include(if: $s) } }'],
    ['two root fields', 'query($i: DownloadRequest!) { download(input: $i) { syncId } viewer { id } }'],
    ['an argument written in the document', 'query { download(input: { clientId: "c", syncId: "s" }) { syncId } }'],
    ['a variable with a default', 'query($i: DownloadRequest! = { clientId: "c", syncId: "s" }) { download(input: $i) { syncId } }'],
    ['another query', 'query { viewer { id } }'],
  ];
  for (const [name, query] of documents) {
    it(`a document with ${name}`, async () => {
      expect(await viaLane(query, { i: input(), s: true })).toBeNull();
    });
  }

  const variables: [string, Record<string, unknown>][] = [
    ['a missing input', { selection: [] }],
    ['a null input', { input: null }],
    ['an input field too many', { input: { ...input(), extra: 1 } }],
    ['an input without its syncId', { input: { clientId: 'c' } }],
    ['an id that is not an ID', { input: { clientId: true, syncId: 's' } }],
    ['an entity that is not one', { input: input(), selection: [{ entity: 'Nope', id: uuid() }] }],
    ['a null in the selection', { input: input(), selection: [null] }],
    ['an input that is a list', { input: [input()] }],
  ];
  for (const [name, vars] of variables) {
    it(`variables with ${name}`, async () => {
      expect(await viaLane(downloadQuery, vars)).toBeNull();
      expect(await regular(downloadQuery, vars)).toContain('"errors"');
    });
  }

  it('keeps only documents it can run, so that other documents do not take their room', () => {
    const fresh = createSyncLane(schema(), server.server.services.registry);
    const teach = (query: string) => {
      const document = parse(query);
      fresh.learn(query, undefined, document, getOperationAST(document)!);
    };
    for (let i = 0; i < 100; i++) {
      teach(`query Q${i} { viewer { id } }`);
      expect(fresh.find(`query Q${i} { viewer { id } }`, undefined)).toBeUndefined();
    }
    teach(downloadQuery);
    expect(fresh.find(downloadQuery, undefined)).toBeDefined();
    expect(fresh.find(downloadQuery, 'Other')).toBeUndefined();
  });

  it('an error of the sync core (a malformed cursor)', async () => {
    expect(await viaLane(print(DownloadPageDocument), { cursor: 'nope' })).toBeNull();
  });
});

describe('the node:http listener with the lane', () => {
  it('answers a repeated download query the same each time, as the fetch handler does', async () => {
    const params = new URLSearchParams({
      operationName: 'Download',
      query: downloadQuery,
      variables: JSON.stringify({ input: input(), selection: [{ entity: 'WorkOrder', id: work.id }, { entity: 'Photo', id: work.photo }] }),
    });
    const init = { headers: { authorization: 'Bearer dev:alice' } };
    const expected = blank(await (await server.fetch(`${TEST_ORIGIN}/graphql?${params}`, init)).text()).replaceAll(TEST_ORIGIN, '');
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${origin}/graphql?${params}`, init);
      expect(response.status).toBe(200);
      expect(blank(await response.text()).replaceAll(origin, '')).toBe(expected);
    }
  });
});
