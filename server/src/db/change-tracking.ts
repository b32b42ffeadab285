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

const TRACKING_FUNCTION = sql.raw(`
create or replace function sync_track_change() returns trigger language plpgsql as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    insert into sync_row_history (entity, object_id, old) values (tg_argv[0], old.id, to_jsonb(old));
  end if;
  if tg_op = 'DELETE' then
    insert into sync_tombstones (entity, object_id, deleted_at, tx)
      values (tg_argv[0], old.id, now(), pg_current_xact_id())
      on conflict (entity, object_id) do update set deleted_at = excluded.deleted_at, tx = excluded.tx;
    return old;
  end if;
  new.changed_tx := pg_current_xact_id();
  if tg_op = 'INSERT' then
    delete from sync_tombstones where entity = tg_argv[0] and object_id = new.id;
  end if;
  return new;
end $$`);

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Creates or replaces the tracking function and triggers; safe when servers start together. */
export async function installChangeTracking(db: Db, registry: Registry): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(728302)`);
    await tx.execute(TRACKING_FUNCTION);
    for (const model of registry.list) {
      const table = quoteIdent(model.tableName);
      const entity = quoteLiteral(model.name);
      await tx.execute(
        sql.raw(`create or replace trigger sync_track_write before insert or update on ${table} for each row execute function sync_track_change(${entity})`),
      );
      await tx.execute(
        sql.raw(`create or replace trigger sync_track_delete after delete on ${table} for each row execute function sync_track_change(${entity})`),
      );
    }
  });
}
