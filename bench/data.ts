import { trackingTriggers } from '../server/src/db/change-tracking.ts';

/**
 * The data sets, made in the database with `generate_series` (as the paged-download test does):
 * work orders of the demo domain, 13 fields each on the wire (the system fields, 8 attributes and
 * the calculated `isOverdue`). Every user here is a plain fieldworker (dev token `dev:<user>`),
 * whose full sync downloads their own work orders and the demo customers.
 */

/** The seeded demo customer every generated work order refers to. */
export const CUSTOMER_ID = '00000000-0000-4000-8000-000000000001';

/** Rows per INSERT statement, so that no single statement holds a million rows. */
const CHUNK = 100_000;

/** The user who owns exactly `count` generated work orders. */
export function sizedUser(count: number): string {
  return `size_${count}`;
}

/** Statements inserting `count` work orders assigned to `user`, in chunks. */
export function insertWorkOrders(user: string, count: number): string[] {
  if (!/^[a-z0-9_]+$/.test(user)) throw new Error(`Unsafe user name ${user}`);
  const statements: string[] = [];
  for (let from = 1; from <= count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK - 1);
    statements.push(`insert into work_order (id, title, description, status, customer_id, assignee_id, due_date, hours_spent)
      select gen_random_uuid(), 'Work order ' || i, 'Replace the part and check the installation (' || i || ')',
        (array['OPEN', 'IN_PROGRESS', 'DONE'])[1 + i % 3]::work_order_status, '${CUSTOMER_ID}', '${user}',
        date '2026-01-01' + (i % 365), (i % 40) / 4.0
      from generate_series(${from}, ${to}) i`);
  }
  return statements;
}

/**
 * The baseline of W3: a plain copy of the work order table (same columns, defaults and indexes,
 * none of the sync machinery's triggers) holding the same rows the SDK will update.
 */
export function createBaselineTable(user: string): string[] {
  return [
    'create table baseline_work_order (like work_order including defaults including constraints including indexes)',
    `insert into baseline_work_order select * from work_order where assignee_id = '${user}'`,
  ];
}

/**
 * The second reference of W3: another plain copy of the same rows, with the sync's change
 * tracking (its triggers, the row history they write), where a bare handler runs by hand the
 * statements the sync's rules make the server run (`baseline-routes.ts`, `POST /upsert-tracked`).
 */
export function createTrackedTable(user: string): string[] {
  return [
    'create table tracked_work_order (like work_order including defaults including constraints including indexes)',
    `insert into tracked_work_order select * from work_order where assignee_id = '${user}'`,
    ...trackingTriggers('tracked_work_order', TRACKED_ENTITY).map((trigger) => `create trigger ${trigger}`),
  ];
}

/** The entity name the tracked copy's history and tombstones are kept under. */
export const TRACKED_ENTITY = 'TrackedWorkOrder';

/** Changes `count` of the user's work orders outside the sync API, as another service would. */
export function touchWorkOrders(user: string, count: number): string {
  return `update work_order set hours_spent = hours_spent + 1, changed_at = now(), version = version + 1
    where id in (select id from work_order where assignee_id = '${user}' order by id limit ${count})`;
}

/** The users of the single-purpose data sets. */
export const users = {
  /** W2: owns `incremental.owned` work orders in both W2 databases. */
  incremental: 'inc_user',
  /** W3: owns the objects it uploads. */
  uploader: 'uploader',
  /** W4: owns a few objects; clients select one. */
  selector: 'selector',
  /** W7: owns a few objects and syncs with nothing changed. */
  idle: 'idle_user',
  /** Owns the rows that only make a table large. */
  filler: 'filler',
} as const;

/** Work orders the W4 and W7 users own. */
export const SMALL_OWNED = 20;

/**
 * Everything the main server holds: one user per W1/W6 size, the W2, W3, W4 and W7 users, and
 * filler rows so that the table has at least `incremental.large` rows (W2's large side).
 */
export function mainDataSet(options: { firstSyncObjects: number; scaleSizes: number[]; uploadObjects: number; incremental: { large: number; owned: number } }): string[] {
  const sizes = [...new Set([options.firstSyncObjects, ...options.scaleSizes])];
  const owned = new Map<string, number>([
    ...sizes.map((size) => [sizedUser(size), size] as const),
    [users.incremental, options.incremental.owned],
    [users.uploader, options.uploadObjects],
    [users.selector, SMALL_OWNED],
    [users.idle, SMALL_OWNED],
  ]);
  const total = [...owned.values()].reduce((a, b) => a + b, 0);
  if (total < options.incremental.large) owned.set(users.filler, options.incremental.large - total);
  return [...[...owned].flatMap(([user, count]) => insertWorkOrders(user, count)), ...createBaselineTable(users.uploader), ...createTrackedTable(users.uploader), 'analyze'];
}

/** The small W2 server: the W2 user's work orders and filler up to `incremental.small` rows. */
export function smallDataSet(options: { incremental: { small: number; owned: number } }): string[] {
  const { small, owned } = options.incremental;
  return [...insertWorkOrders(users.incremental, owned), ...insertWorkOrders(users.filler, Math.max(0, small - owned)), 'analyze'];
}
