import { getOperationAST, parse, print, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadDocument, DownloadPageDocument, SynchronizeDocument } from '../../client-sdk/src/generated/graphql.ts';
import { buildSchema } from '../../server/src/graphql/schema.ts';
import { createSyncLane, LaneHandOver, type SyncLane } from '../../server/src/graphql/sync-lane.ts';
import { createWorkOrder, customers, photoValues } from '../support/demo.ts';
import { change, sync, uuid } from '../support/graphql.ts';
import { listenNode, startTestServer, TEST_ORIGIN, type NodeListener, type TestServer } from '../support/server.ts';

/**
 * The sync lane answers the SDK's sync operations exactly as graphql-js does: every request here
 * is run by the lane and by the regular path (the fetch handler, which never uses the lane), and
 * the two answers must be the same text (an upload: the regular path replays the same syncId).
 * What the lane does not handle before running must be left to the regular path; what it ran
 * and cannot answer itself is handed over to graphql-js, never run twice.
 */

let server: TestServer;
let lane: SyncLane;
let listener: NodeListener;
let origin: string;
const schema = () => buildSchema(server.server.services.registry);
const work = { id: uuid(), photo: uuid() };

beforeAll(async () => {
  // Small pages, so that a complete download has further pages.
  server = await startTestServer({ limits: { downloadResetPageSize: 3 } });
  lane = createSyncLane(schema(), server.server.services.registry);
  listener = await listenNode(server);
  origin = listener.origin;
  const wo = createWorkOrder('alice', {}, work.id);
  await sync(server, 'alice', { changes: [wo.change, change('Photo', { id: work.photo, op: 'CREATE', values: await photoValues(server, wo.id) })] });
});
afterAll(async () => {
  await listener.close();
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
async function runLane(query: string, variables: Record<string, unknown>, user = 'alice') {
  const document = parse(query);
  expect(validate(schema(), document)).toEqual([]);
  lane.learn(query, undefined, document, getOperationAST(document)!);
  const viewer = { id: user, roles: user === 'admin' ? ['admin'] : ['fieldworker'] };
  const known = lane.find(query, undefined);
  return known ? known.run(variables, { viewer, services: server.server.services, baseUrl: TEST_ORIGIN }) : null;
}

/** The lane's own answer; null when it left the request to the regular path. */
async function viaLane(query: string, variables: Record<string, unknown>, user = 'alice'): Promise<string | null> {
  const result = await runLane(query, variables, user);
  expect(result).not.toBeInstanceOf(LaneHandOver);
  return result ? blank(JSON.stringify(result)) : null;
}

/** A POST through the node:http listener, which runs what the lane knows there. */
async function viaListener(query: string, variables: Record<string, unknown>, user = 'alice'): Promise<{ status: number; body: string }> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer dev:${user}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: blank(await response.text()).replaceAll(origin, TEST_ORIGIN) };
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

  it('an error of the sync core (a malformed cursor) is handed over, and answered as graphql-js answers it', async () => {
    const query = print(DownloadPageDocument);
    expect(await runLane(query, { cursor: 'nope' })).toBeInstanceOf(LaneHandOver);
    const expected = await regular(query, { cursor: 'nope' });
    expect(expected).toContain('"errors"');
    expect((await viaListener(query, { cursor: 'nope' })).body).toBe(expected);
  });
});

describe('uploads (the synchronize mutation)', () => {
  const synchronizeQuery = print(SynchronizeDocument);
  const changeSet = (syncId: string, changes: Record<string, unknown>[]) => ({ input: { clientId: 'lane-upload', syncId, checkpoint: null, changes }, selection: null });
  /**
   * The lane's answer and the regular path's replay of the same upload differ in `replayed` only,
   * and in the key order of a failure's `content`: a replay reads it back from a jsonb column.
   */
  const replayedAsFirst = (body: string) => body.replace('"replayed":true', '"replayed":false');
  const sortedKeys = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]))
      : value;
  const contentSorted = (body: string) => {
    const answer = JSON.parse(body) as { data: { synchronize: { failures: { content: unknown }[] } } };
    for (const failure of answer.data.synchronize.failures) failure.content = sortedKeys(failure.content);
    return JSON.stringify(answer);
  };

  it('applies an upload once and answers it as graphql-js answers its replay', async () => {
    const created = createWorkOrder('alice', { title: 'Through the lane' });
    const invalid = createWorkOrder('alice', { hoursSpent: -1 });
    const syncId = uuid();
    const variables = changeSet(syncId, [
      created.change,
      invalid.change,
      change('WorkOrder', { id: work.id, op: 'UPDATE', baseVersion: 1, values: { hoursSpent: 3.5, status: 'IN_PROGRESS' }, base: { hoursSpent: 0 } }),
      change('Customer', { id: customers.harbor, op: 'UPDATE', baseVersion: 1, values: { name: 'Denied' }, base: { name: 'x' } }),
    ]);
    const fast = await viaLane(synchronizeQuery, variables);
    expect(fast).not.toBeNull();
    const answer = JSON.parse(fast!) as { data: { synchronize: { outcomes: { status: string }[]; failures: unknown[]; replayed: boolean } } };
    expect(answer.data.synchronize.outcomes.map((o) => o.status)).toEqual(['APPLIED', 'FAILED', 'APPLIED', 'FAILED']);
    expect(answer.data.synchronize.failures).toHaveLength(2);
    expect(answer.data.synchronize.replayed).toBe(false);
    const replay = await regular(synchronizeQuery, variables);
    expect(replay).toContain('"replayed":true');
    expect(contentSorted(fast!)).toBe(contentSorted(replayedAsFirst(replay)));
  });

  it('through the listener: an upload is run by the lane, a refused one by graphql-js, both as graphql-js answers them', async () => {
    const created = createWorkOrder('alice');
    const variables = changeSet(uuid(), [created.change]);
    const first = await viaListener(synchronizeQuery, variables);
    expect(first.status).toBe(200);
    expect(first.body).toContain('"status":"APPLIED"');
    expect(first.body).toBe(replayedAsFirst(await regular(synchronizeQuery, variables)));
    // Another user's syncId: the core refuses it (FORBIDDEN), the lane hands the error over.
    expect(await runLane(synchronizeQuery, variables, 'bob')).toBeInstanceOf(LaneHandOver);
    const refused = await viaListener(synchronizeQuery, variables, 'bob');
    expect(refused.body).toContain('FORBIDDEN');
    expect(refused.body).toBe(await regular(synchronizeQuery, variables, 'bob'));
  });

  it('never runs an upload sent by GET', async () => {
    const created = createWorkOrder('alice');
    const variables = changeSet(uuid(), [created.change]);
    await viaListener(synchronizeQuery, changeSet(uuid(), []));
    expect(lane.find(synchronizeQuery, undefined)?.kind).toBe('mutation');
    const params = new URLSearchParams({ query: synchronizeQuery, variables: JSON.stringify(variables) });
    const response = await fetch(`${origin}/graphql?${params}`, { headers: { authorization: 'Bearer dev:alice' } });
    expect(response.status).toBe(405);
    const after = await sync(server, 'alice', { selection: [{ entity: 'WorkOrder', id: created.id }] });
    expect(after.upserted).toEqual([]);
  });

  const refused: [string, Record<string, unknown>[]][] = [
    ['a change naming two entities', [{ WorkOrder: { id: uuid(), op: 'CREATE', values: { title: 'x' } }, Customer: { id: uuid(), op: 'CREATE', values: { name: 'x' } } }]],
    ['a change naming none', [{}]],
    ['a change whose one entity is null', [{ WorkOrder: null }]],
    ['a change with an attribute its entity does not have', [{ WorkOrder: { id: uuid(), op: 'CREATE', values: { title: 'x', colour: 'red' } } }]],
    ['a change with an operation that is not one', [{ WorkOrder: { id: uuid(), op: 'UPSERT', values: { title: 'x' } } }]],
  ];
  for (const [name, changes] of refused) {
    it(`leaves ${name} to graphql-js, which refuses it`, async () => {
      const variables = changeSet(uuid(), changes);
      expect(await viaLane(synchronizeQuery, variables)).toBeNull();
      expect(await regular(synchronizeQuery, variables)).toContain('"errors"');
    });
  }
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
