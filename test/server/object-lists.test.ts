import { graphql as execute, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SynchronizeDocument } from '../../client-sdk/src/generated/graphql.ts';
import { buildSchema } from '../../server/src/graphql/schema.ts';
import { createWorkOrder, customers, photoValues } from '../support/demo.ts';
import { change, graphql, sync, uuid } from '../support/graphql.ts';
import { startTestServer, TEST_ORIGIN, type TestServer } from '../support/server.ts';

/**
 * Download lists are serialized by a compiled plan instead of graphql-js' per-field completion
 * (`server/src/graphql/object-lists.ts`). The response must be the one graphql-js makes, byte
 * for byte: each document here is run through the server and, as the reference, through plain
 * graphql-js on the same schema (no plugin, so the list goes the old way).
 */

let server: TestServer;
const selection: { entity: string; id: string }[] = [];
beforeAll(async () => {
  server = await startTestServer();
  const orders = [
    createWorkOrder('alice', { status: 'DONE', dueDate: '2020-01-01', hoursSpent: 2.5, description: null }),
    createWorkOrder('alice', { status: 'IN_PROGRESS', dueDate: '2020-01-01', description: 'quote " and \\ and ünïcode' }),
    createWorkOrder('alice', { dueDate: '2999-12-31' }),
    createWorkOrder('alice'),
  ];
  await sync(server, 'alice', { changes: orders.map((o) => o.change) });
  const photo = uuid();
  await sync(server, 'alice', { changes: [change('Photo', { id: photo, op: 'CREATE', values: await photoValues(server, orders[0]!.id) })] });
  selection.push(
    ...Object.values(customers).map((id) => ({ entity: 'Customer', id })),
    ...orders.map((o) => ({ entity: 'WorkOrder', id: o.id })),
    { entity: 'Photo', id: photo },
    { entity: 'WorkOrder', id: uuid() },
  );
});
afterAll(() => server.close());

/** The response body of the server, and what graphql-js makes of the same request. */
async function bothWays(query: string, variables: Record<string, unknown>): Promise<[string, string]> {
  const response = await server.fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer dev:alice' },
    body: JSON.stringify({ query, variables }),
  });
  const services = server.server.services;
  const reference = await execute({
    schema: buildSchema(services.registry),
    source: query,
    variableValues: variables,
    contextValue: { viewer: { id: 'alice', roles: ['fieldworker'] }, services, baseUrl: TEST_ORIGIN },
  });
  // Signed file URLs expire a fixed time after they are made: the two may straddle a second.
  const timeless = (text: string) => text.replace(/"(url|expiresAt)":"[^"]+"/g, '"$1":"…"');
  return [timeless(await response.text()), timeless(JSON.stringify(reference))];
}

const input = () => ({ clientId: 'object-lists', syncId: uuid(), checkpoint: 'cp', changes: [] });
const selective = (upserted: string, args = '') => `mutation Sync($input: ChangeSet!, $selection: [ObjectRef!]${args}) {
  synchronize(input: $input, selection: $selection) { checkpoint upserted ${upserted} deleted { entity id } }
}`;

describe('serialized download lists are what graphql-js makes', () => {
  const documents: [string, string, Record<string, unknown>?][] = [
    ['the SDK document', print(SynchronizeDocument)],
    ['fields on the interface only', selective('{ id version createdAt changedAt }')],
    ['aliases, __typename twice, a field repeated', selective('{ kind: __typename __typename id v: version id ... on WorkOrder { t: title title isOverdue } }')],
    ['nested fragments, an interface condition, no condition', `${selective('{ ...Outer }')}
      fragment Outer on SyncObject { id ... on WorkOrder { ...Inner } ... { changedAt } ...Inner }
      fragment Inner on WorkOrder { status dueDate hoursSpent completedAt customerId assigneeId description }`],
    ['@skip and @include with variables', selective('{ id ... on WorkOrder @include(if: $more) { title } version @skip(if: $more) ... on Customer { name @skip(if: $less) phone @include(if: $less) } }', ', $more: Boolean!, $less: Boolean!'), { more: true, less: false }],
    ['the same, the other way round', selective('{ id ... on WorkOrder @include(if: $more) { title } version @skip(if: $more) ... on Customer { name @skip(if: $less) phone @include(if: $less) } }', ', $more: Boolean!, $less: Boolean!'), { more: false, less: true }],
    ['only __typename', selective('{ __typename }')],
  ];
  for (const [name, query, variables] of documents) {
    it(name, async () => {
      const [served, reference] = await bothWays(query, { input: input(), selection, ...variables });
      expect(JSON.parse(served).data.synchronize.upserted.length).toBeGreaterThan(5);
      expect(served).toBe(reference);
    });
  }

  it('a complete download of pages is the same both ways', async () => {
    const query = print(SynchronizeDocument);
    const variables = { input: { clientId: 'object-lists', syncId: 'same', checkpoint: null, changes: [] } };
    const [served, reference] = await bothWays(query, variables);
    const blank = (text: string) => text.replace(/"(checkpoint|nextPage)":"[^"]+"/g, '"$1":"…"');
    expect(blank(served)).toBe(blank(reference));
  });

  it('the items of the list queries, through fragments on the interface and the type', async () => {
    const query = `query($first: Int) {
      workOrders(first: $first, orderBy: title) { items { __typename ...Common ... on WorkOrder { title status isOverdue dueDate hoursSpent } } totalCount nextCursor }
      customers { items { id name phone ...Common } }
    }
    fragment Common on SyncObject { id version changedAt }`;
    const [served, reference] = await bothWays(query, { first: 3 });
    expect(JSON.parse(served).data.workOrders.items).toHaveLength(3);
    expect(served).toBe(reference);
  });

  it("an upload's outcomes and the deleted keys, through aliases, fragments and __typename", async () => {
    const created = createWorkOrder('alice');
    const invalid = createWorkOrder('alice', { hoursSpent: -1 });
    const changes = [created.change, invalid.change, change('WorkOrder', { id: uuid(), op: 'DELETE', baseVersion: 1 })];
    const query = `mutation($input: ChangeSet!, $selection: [ObjectRef!]) { synchronize(input: $input, selection: $selection) {
      outcomes { __typename ...Outcome state: status } ids: outcomes { id } deleted { __typename kind: entity id } } }
      fragment Outcome on ChangeOutcome { entity id version failureId }`;
    // Objects the server does not have: the device is told to remove them.
    const gone = [uuid(), uuid()].map((id) => ({ entity: 'WorkOrder', id }));
    // The reference run is a replay of the same syncId: the recorded outcomes (R4).
    const [served, reference] = await bothWays(query, { input: { ...input(), changes }, selection: gone });
    // The two asked for, and the two uploaded objects the server does not have (the failed create, the delete).
    expect(JSON.parse(served).data.synchronize.deleted).toHaveLength(4);
    const outcomes = JSON.parse(served).data.synchronize.outcomes as { state: string; version: number | null; failureId: string | null }[];
    // A delete of an object the server does not have is done already: applied, with no version.
    expect(outcomes.map((o) => [o.state, o.version === null, o.failureId === null])).toEqual([
      ['APPLIED', false, true],
      ['FAILED', true, false],
      ['APPLIED', true, true],
    ]);
    expect(served).toBe(reference);
  });

  it('an aliased second list in the same response is filled too', async () => {
    const query = `mutation($input: ChangeSet!, $selection: [ObjectRef!]) { synchronize(input: $input, selection: $selection) {
      a: upserted { id } b: upserted { __typename ... on Customer { name } } } }`;
    const response = await graphql<{ synchronize: { a: unknown[]; b: unknown[] } }>(server, 'alice', query, { input: input(), selection });
    expect(response.data!.synchronize.a.length).toBe(selection.length - 1);
    expect(response.data!.synchronize.b).toContainEqual({ __typename: 'Customer', name: 'Harbor Logistics' });
  });
});
