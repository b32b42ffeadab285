import { randomUUID } from 'node:crypto';
import type { TestServer } from './server.ts';

/** Calling the GraphQL endpoint as a user would, through HTTP semantics (status, body). */

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function graphql<T = Record<string, unknown>>(
  server: TestServer,
  user: string | null,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (user) headers.authorization = `Bearer dev:${user}`;
  const response = await server.fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** The attributes tests read of each demo entity. */
export const DEMO_FRAGMENTS = `
    ... on Customer { name address phone }
    ... on WorkOrder { title description status customerId assigneeId dueDate hoursSpent completedAt isOverdue }
    ... on Photo { workOrderId caption fileName contentType size contentHash }
    ... on Feedback { text rating authorId }`;

const syncResultFields = (fragments: string) => `
  syncId checkpoint hasMore nextPage reset replayed
  upserted { __typename id version createdAt changedAt ${fragments} }
  deleted { entity id }
  files { entity id contentHash size url expiresAt }
  failures { id entity objectId reason message content syncId clientId viewerId createdAt resolvedAt }
  outcomes { entity id status version failureId }
`;

/** The synchronize mutation selecting everything, with fragments for the served entities. */
export const synchronizeDocument = (fragments = DEMO_FRAGMENTS) => `mutation Sync($input: ChangeSet!, $selection: [ObjectRef!]) {
  synchronize(input: $input, selection: $selection) { ${syncResultFields(fragments)} }
}`;

export interface SyncObject {
  __typename: string;
  id: string;
  version: number;
  [attribute: string]: unknown;
}

export interface Failure {
  id: string;
  entity: string;
  objectId: string;
  reason: string;
  message: string;
  content: { op: string; baseVersion: number | null; values: Record<string, unknown> | null; base: Record<string, unknown> | null };
  syncId: string;
  clientId: string;
  viewerId: string;
}

export interface SyncResult {
  syncId: string;
  checkpoint: string;
  hasMore: boolean;
  nextPage: string | null;
  reset: boolean;
  replayed: boolean;
  upserted: SyncObject[];
  deleted: { entity: string; id: string }[];
  files: unknown[];
  failures: Failure[];
  outcomes: { entity: string; id: string; status: string; version: number | null; failureId: string | null }[];
}

/** A change as the wire wants it: `{ [entity]: { id, op, ... } }`. */
export function change(entity: string, body: { id: string; op: 'CREATE' | 'UPDATE' | 'DELETE'; baseVersion?: number | null; values?: Record<string, unknown>; base?: Record<string, unknown> }) {
  return { [entity]: body };
}

export interface SyncCall {
  clientId?: string;
  syncId?: string;
  checkpoint?: string | null;
  changes?: Record<string, unknown>[];
  selection?: { entity: string; id: string }[] | null;
  /** Inline fragments selecting the entities' attributes; default: the demo entities. */
  fragments?: string;
}

/** Runs `synchronize` and returns the raw response. */
export async function syncRaw(server: TestServer, user: string, call: SyncCall = {}) {
  return graphql<{ synchronize: SyncResult }>(server, user, synchronizeDocument(call.fragments ?? server.fragments), {
    input: {
      clientId: call.clientId ?? `device-${user}`,
      syncId: call.syncId ?? randomUUID(),
      checkpoint: call.checkpoint ?? null,
      changes: call.changes ?? [],
    },
    selection: call.selection ?? null,
  });
}

/** Runs `synchronize` and fails the test on a request error. */
export async function sync(server: TestServer, user: string, call: SyncCall = {}): Promise<SyncResult> {
  const response = await syncRaw(server, user, call);
  if (response.errors || !response.data) throw new Error(`synchronize failed (${response.status}): ${JSON.stringify(response.errors)}`);
  return response.data.synchronize;
}

/** A further page of a full download. */
export async function downloadPage(server: TestServer, user: string, cursor: string, fragments?: string): Promise<SyncResult> {
  const response = await graphql<{ downloadPage: SyncResult }>(
    server,
    user,
    `query Page($cursor: String!) { downloadPage(cursor: $cursor) { ${syncResultFields(fragments ?? server.fragments ?? DEMO_FRAGMENTS)} } }`,
    { cursor },
  );
  if (response.errors || !response.data) throw new Error(`downloadPage failed (${response.status}): ${JSON.stringify(response.errors)}`);
  return response.data.downloadPage;
}

/** A full sync followed through all its pages, as the SDK does it. */
export async function syncAllPages(server: TestServer, user: string, call: SyncCall = {}): Promise<{ pages: SyncResult[]; upserted: SyncObject[]; deleted: SyncResult['deleted'] }> {
  const pages = [await sync(server, user, call)];
  while (pages.at(-1)!.hasMore) pages.push(await downloadPage(server, user, pages.at(-1)!.nextPage!, call.fragments));
  return { pages, upserted: pages.flatMap((p) => p.upserted), deleted: pages.flatMap((p) => p.deleted) };
}

/** The object of an entity in a result, if present. */
export function upsertedOf(result: SyncResult, entity: string, id: string): SyncObject | undefined {
  return result.upserted.find((o) => o.__typename === entity && o.id === id);
}

export function isDeleted(result: SyncResult, entity: string, id: string): boolean {
  return result.deleted.some((k) => k.entity === entity && k.id === id);
}

export const uuid = randomUUID;
