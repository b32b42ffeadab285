import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { BenchDatabase, RawRow } from './bench-database.ts';
import { TRACKED_ENTITY } from './data.ts';

/**
 * The baselines a user could write by hand: a bare `node:http` handler that runs the SQL the
 * sync server would need and answers with `JSON.stringify` of the rows. No GraphQL, no paging,
 * no checkpoint, no access-rule machinery beyond the `assignee_id = <user>` condition, no
 * change tracking (except W3's second reference, which measures what change tracking and the
 * sync's other rules cost the database). The user comes from the same `Authorization: Bearer
 * dev:<user>` header.
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

/** The client id the second reference's uploads are claimed under. */
const TRACKED_CLIENT = 'tracked-baseline';

/**
 * W3's second reference: the statements the sync's rules make its server run for an upload, run
 * by hand on the tracked copy (the sync's triggers and row history), without the sync's own
 * JavaScript. In one transaction: claim the upload (R4), lock and read the rows (R3, R5: the
 * merge, the rules and the hooks need them), write the changed attributes, store the outcome
 * (R4); then read the post-commit state back to answer it (R8).
 */
async function upsertTracked(database: BenchDatabase, user: string, text: string): Promise<RawRow[]> {
  const rows = JSON.parse(text) as { id: string }[];
  const syncId = randomUUID();
  const tx = await database.transaction(async (query) => {
    const [start] = await query('select now() as now, pg_current_xact_id()::text as tx');
    await query('insert into sync_uploads (client_id, sync_id, viewer_id, created_at) values ($1, $2, $3, $4) on conflict do nothing', [
      TRACKED_CLIENT, syncId, user, start!.now,
    ]);
    const locked = await query(
      'select *, assignee_id = $2 as readable from tracked_work_order where id = any($1::uuid[]) order by id for update',
      [rows.map((row) => row.id), user],
    );
    if (locked.some((row) => row.readable !== true)) throw new Error('a row the user may not write');
    await query(
      `update tracked_work_order t set title = v.title, hours_spent = v.hours_spent, version = t.version + 1, changed_at = $2,
        changed_tx = pg_current_xact_id()
      from json_populate_recordset(null::tracked_work_order, $1::text::json) v where t.id = v.id`,
      [text, start!.now],
    );
    const outcome = { outcomes: locked.map((row) => [TRACKED_ENTITY, row.id, 'APPLIED', Number(row.version) + 1, null]) };
    await query('update sync_uploads set outcome = $1::text::jsonb where client_id = $2 and sync_id = $3', [JSON.stringify(outcome), TRACKED_CLIENT, syncId]);
    return start!.tx as string;
  });
  return database.query(`select ${WORK_ORDER_COLUMNS} from tracked_work_order where changed_tx = $1::xid8 and assignee_id = $2`, [tx, user]);
}

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

/** The request handler: `GET /full`, `GET /object?id=`, `GET /ping`, `POST /upsert`, `POST /upsert-tracked`. */
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
      if (url.pathname === '/upsert-tracked' && request.method === 'POST') {
        return send(response, 200, await upsertTracked(database, user, await body(request)));
      }
      send(response, 404, { error: 'not found' });
    } catch (error) {
      send(response, 500, { error: String(error) });
    }
  };
}
