import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BenchDatabase } from './bench-database.ts';

/**
 * The baselines a user could write by hand: a bare `node:http` handler that runs the SQL the
 * sync server would need and answers with `JSON.stringify` of the rows. No GraphQL, no paging,
 * no checkpoint, no access-rule machinery beyond the `assignee_id = <user>` condition, no
 * change tracking. The user comes from the same `Authorization: Bearer dev:<user>` header.
 */

/** The columns of a work order as the device gets them, the calculated `is_overdue` included. */
const WORK_ORDER_COLUMNS = `id, version, created_at, changed_at, title, description, status, customer_id, assignee_id,
  due_date, hours_spent, completed_at, (due_date < current_date and status <> 'DONE') as is_overdue`;

/** W3: the same rows, written in one statement (one transaction) into the plain copy table. */
const UPSERT = `insert into baseline_work_order (id, title, description, status, customer_id, assignee_id, due_date, hours_spent)
  select id, title, description, status, customer_id, assignee_id, due_date, hours_spent
  from json_populate_recordset(null::baseline_work_order, $1::text::json)
  on conflict (id) do update set title = excluded.title, description = excluded.description, status = excluded.status,
    due_date = excluded.due_date, hours_spent = excluded.hours_spent,
    version = baseline_work_order.version + 1, changed_at = now()`;

function userOf(request: IncomingMessage): string | null {
  const match = /^Bearer dev:(\S+)$/.exec(request.headers.authorization ?? '');
  return match ? match[1]! : null;
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** The request handler: `GET /full`, `GET /object?id=`, `GET /ping`, `POST /upsert`. */
export function createBaselineHandler(database: BenchDatabase) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const user = userOf(request);
      if (url.pathname === '/ping') return send(response, 200, await database.query('select 1 as ok'));
      if (!user) return send(response, 401, { error: 'unauthenticated' });
      if (url.pathname === '/full') {
        const workOrders = await database.query(`select ${WORK_ORDER_COLUMNS} from work_order where assignee_id = $1`, [user]);
        const customers = await database.query('select id, version, created_at, changed_at, name, address, phone from customer');
        return send(response, 200, { workOrders, customers });
      }
      if (url.pathname === '/object') {
        const rows = await database.query(`select ${WORK_ORDER_COLUMNS} from work_order where id = $1 and assignee_id = $2`, [url.searchParams.get('id'), user]);
        return send(response, 200, rows[0] ?? null);
      }
      if (url.pathname === '/upsert' && request.method === 'POST') {
        await database.query(UPSERT, [await body(request)]);
        return send(response, 200, { ok: true });
      }
      send(response, 404, { error: 'not found' });
    } catch (error) {
      send(response, 500, { error: String(error) });
    }
  };
}
