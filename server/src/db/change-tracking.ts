import { sql } from 'drizzle-orm';
import type { Db } from '../registry/define-entity.ts';
import type { Registry } from '../registry/registry.ts';

/**
 * Triggers on every entity table record what incremental sync needs, whoever writes the row (the
 * sync core, a hook, another service, an administrator in psql): inserts and updates stamp
 * `changed_tx` with the writing transaction's id; updates and deletes keep the row's previous
 * state in `sync_row_history`; deletes leave a tombstone (R14, R19), and re-creating an id
 * removes it. Installed at start-up for the registry being served.
 */

// Row level, because it changes the row; it runs no statement, so it costs little per row.
const STAMP_FUNCTION = sql.raw(`
create or replace function sync_stamp_change() returns trigger language plpgsql as $$
begin
  new.changed_tx := pg_current_xact_id();
  return new;
end $$`);

// Statement level with transition tables: one INSERT … SELECT per statement, however many rows
// it wrote, instead of one INSERT per row (a batched upload updates thousands in one statement).
const HISTORY_FUNCTION = sql.raw(`
create or replace function sync_record_history() returns trigger language plpgsql as $$
begin
  insert into sync_row_history (entity, object_id, old) select tg_argv[0], o.id, to_json(o) from sync_old o;
  if tg_op = 'DELETE' then
    insert into sync_tombstones (entity, object_id, deleted_at, tx)
      select tg_argv[0], o.id, now(), pg_current_xact_id() from sync_old o
      on conflict (entity, object_id) do update set deleted_at = excluded.deleted_at, tx = excluded.tx;
  end if;
  return null;
end $$`);

const CLEAR_TOMBSTONES_FUNCTION = sql.raw(`
create or replace function sync_clear_tombstones() returns trigger language plpgsql as $$
begin
  delete from sync_tombstones t using sync_new n where t.entity = tg_argv[0] and t.object_id = n.id;
  return null;
end $$`);

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The tracking triggers of one table (entity `entity`), as `create trigger` bodies: the name
 * first. They call the functions `installChangeTracking` creates.
 */
export function trackingTriggers(tableName: string, entity: string): string[] {
  const table = quoteIdent(tableName);
  const name = quoteLiteral(entity);
  return [
    // Only rows not stamped yet: a default (inserts) or the sync's own UPDATE set the id
    // already, and a condition costs far less per row than calling the function.
    `sync_track_write before insert or update on ${table} for each row when (new.changed_tx is distinct from pg_current_xact_id()) execute function sync_stamp_change()`,
    `sync_track_insert after insert on ${table} referencing new table as sync_new for each statement execute function sync_clear_tombstones(${name})`,
    `sync_track_update after update on ${table} referencing old table as sync_old for each statement execute function sync_record_history(${name})`,
    `sync_track_delete after delete on ${table} referencing old table as sync_old for each statement execute function sync_record_history(${name})`,
  ];
}

/** Creates or replaces the tracking function and triggers; safe when servers start together. */
export async function installChangeTracking(db: Db, registry: Registry): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(728302)`);
    for (const definition of [STAMP_FUNCTION, HISTORY_FUNCTION, CLEAR_TOMBSTONES_FUNCTION]) await tx.execute(definition);
    for (const model of registry.list) {
      const table = quoteIdent(model.tableName);
      for (const trigger of trackingTriggers(model.tableName, model.name)) {
        // Dropped first: an older server installed some of these as row-level triggers.
        await tx.execute(sql.raw(`drop trigger if exists ${trigger.split(' ')[0]} on ${table}`));
        await tx.execute(sql.raw(`create trigger ${trigger}`));
      }
    }
    await tx.execute(sql`drop function if exists sync_track_change()`);
  });
}
