import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { seedIds } from '../../server/src/demo/seed.ts';
import { change, graphql, uuid } from './graphql.ts';
import { TEST_ORIGIN, type TestServer } from './server.ts';

/** Shorthands for the demo domain in tests. */

export const customers = seedIds.customers;

/** A CREATE of a work order for `assignee` at a seeded customer. */
export function createWorkOrder(assignee: string, values: Record<string, unknown> = {}, id = uuid()) {
  return {
    id,
    change: change('WorkOrder', {
      id,
      op: 'CREATE',
      values: { title: `Job ${id.slice(0, 8)}`, customerId: customers.harbor, assigneeId: assignee, ...values },
    }),
  };
}

/** Reads one object through the read query, as `user`. */
export async function readObject(server: TestServer, user: string, entity: 'customer' | 'workOrder' | 'photo' | 'feedback', id: string, fields: string) {
  const response = await graphql<Record<string, Record<string, unknown> | null>>(server, user, `query($id: ID!) { ${entity}(id: $id) { ${fields} } }`, { id });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data![entity] ?? null;
}

/** Counts rows of a table directly in the database. */
export async function countRows(server: TestServer, table: string): Promise<number> {
  const result = (await server.database.db.execute(sql.raw(`select count(*)::int as n from "${table}"`))) as unknown as
    | { n: number }[]
    | { rows: { n: number }[] };
  const rows = Array.isArray(result) ? result : result.rows;
  return Number(rows[0]!.n);
}

/** Uploads content with PUT /files/<sha256> as `user`; returns its hash and the HTTP status. */
export async function uploadContent(server: TestServer, user: string, content: Uint8Array<ArrayBuffer> | string, hashOverride?: string) {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const hash = hashOverride ?? createHash('sha256').update(bytes).digest('hex');
  const response = await server.fetch(`${TEST_ORIGIN}/files/${hash}`, {
    method: 'PUT',
    headers: { authorization: `Bearer dev:${user}`, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  return { hash, status: response.status, body: await response.text() };
}

/** Values of a Photo whose content was uploaded first. */
export async function photoValues(server: TestServer, workOrderId: string, content = `photo of ${workOrderId}`) {
  const { hash } = await uploadContent(server, 'admin', content);
  return { workOrderId, fileName: 'photo.jpg', contentType: 'image/jpeg', size: new TextEncoder().encode(content).byteLength, contentHash: hash };
}
