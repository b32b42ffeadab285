import { and, asc, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { compileSql, type CompiledSql } from '../db/compiled-sql.ts';
import { queryRows } from '../db/query-rows.ts';
import { syncRowHistory, syncTombstones } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel, Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { downloadWhere } from './access.ts';
import { selectRowsWith, selectSql } from './row-select.ts';
import type { ObjectKey, Row } from './types.ts';

/**
 * What changed since a checkpoint's snapshot (R14, R18). A row written by a transaction that the
 * snapshot did not see is new to the device, even when that transaction committed after a later
 * one: this is why the checkpoint holds a snapshot and not a sequence number. The snapshot did not
 * see exactly the transactions from its `xmax` on and those in its in-progress list `xip`, so
 * both conditions can use the `changed_tx` index and the cost grows with the changes, not with
 * the data, even while some long transaction elsewhere holds the snapshot's `xmin` back.
 */

/**
 * The condition "written by a transaction the snapshot did not see", with the snapshot's parts
 * as constants so that the planner can use the index for both halves.
 */
export function writtenSince(column: AnyPgColumn | SQL, snapshot: string): SQL {
  const [, xmax, xip = ''] = snapshot.split(':');
  return writtenAfter(column, xmax, xip === '' ? null : `{${xip}}`);
}

/**
 * `writtenSince` from the snapshot's parts: its `xmax`, and its in-progress list as an array
 * literal (null when empty). Either may be a `sql.placeholder` (`compileProbe`).
 */
function writtenAfter(column: AnyPgColumn | SQL, xmax: unknown, inProgress: unknown): SQL {
  const later = sql`${column} >= ${xmax}::xid8`;
  if (inProgress === null) return sql`(${later})`;
  return sql`(${later} or ${column} = any(${inProgress}::xid8[]))`;
}

/** A changed row and whether the viewer downloads it now. */
export interface ChangedRow {
  row: Row;
  visible: boolean;
}

/** A page of a keyset-ordered read: the rows after `after`, at most `limit`. */
export interface PageWindow {
  after: string | null;
  limit: number;
}

/**
 * The rows of an entity that may have changed for a device since the snapshot: written since, or
 * (for `dependsOn`) referencing an object written since, whose visibility they follow (a photo of
 * a reassigned work order).
 */
function changedCondition(model: EntityModel, snapshot: string, registry: Registry): SQL {
  const conditions: SQL[] = [writtenSince(model.table.changedTx, snapshot)];
  for (const name of model.definition.download.dependsOn ?? []) {
    const attribute = model.attributes.get(name)!;
    const target = registry.get(attribute.reference!.entity)!;
    conditions.push(
      sql`${attribute.column} in (select ${target.table.id} from ${target.table} where ${writtenSince(target.table.changedTx, snapshot)})`,
    );
  }
  return conditions.length === 1 ? conditions[0]! : sql`(${sql.join(conditions, sql` or `)})`;
}

/** Narrows the changed rows a download step reads: a further condition, and only these ids. */
export interface ChangedRowsScope {
  where?: SQL;
  ids?: Iterable<string>;
}

/**
 * The selection of one entity's rows changed since the snapshot (a page of them, by id), with their
 * visibility to the viewer; `scope` narrows it further (an upload's own writes, or all but them).
 */
function changedSelection(model: EntityModel, viewer: Viewer, snapshot: string, registry: Registry, page?: PageWindow, scope: ChangedRowsScope = {}) {
  const where = downloadWhere(model, viewer);
  const visible = where ? sql`coalesce((${where}), false)` : sql`true`;
  const condition = and(changedCondition(model, snapshot, registry), page?.after ? gt(model.table.id, page.after) : undefined, scope.where)!;
  return { visible, options: { where: condition, ids: scope.ids, orderById: true, ...(page ? { limit: page.limit } : {}) } };
}

/** The statement reading one entity's rows changed since the snapshot, with their visibility to the viewer, by id. */
export function changedRowsQuery(model: EntityModel, viewer: Viewer, snapshot: string, registry: Registry, page?: PageWindow): SQL {
  const { visible, options } = changedSelection(model, viewer, snapshot, registry, page);
  return selectSql(model.table, visible, options);
}

/** The current snapshot, and whether anything an incremental download reads changed since another. */
export interface ChangeProbe {
  /** `pg_current_snapshot()` of the statement that looked. */
  snapshot: string;
  changed: boolean;
}

/**
 * The entities whose writes can change an incremental download of these: the entities, and the
 * targets their visibility follows (`dependsOn`), transitively.
 */
function probedEntities(models: readonly EntityModel[], registry: Registry): EntityModel[] {
  const probed = new Map<string, EntityModel>();
  const add = (model: EntityModel): void => {
    if (probed.has(model.name)) return;
    probed.set(model.name, model);
    for (const name of model.definition.download.dependsOn ?? []) add(registry.get(model.attributes.get(name)!.reference!.entity)!);
  };
  models.forEach(add);
  return [...probed.values()];
}

/**
 * The statement behind `probeChanges`: `pg_current_snapshot()` and whether any row or tombstone
 * of the probed entities was written by a transaction the snapshot did not see. Each test is a
 * plain `changed_tx` index probe: a row that `changedRowsQuery` finds through `dependsOn` has a
 * target written since, which the target's own test finds.
 */
export function probeChangesQuery(models: readonly EntityModel[], snapshot: string, registry: Registry): SQL {
  const probed = probedEntities(models, registry);
  const [, xmax = '', xip = ''] = snapshot.split(':');
  const shape = `${probed.map((m) => m.name).join(',')}|${xip === '' ? 'none' : 'in-progress'}`;
  let probes = compiledProbes.get(registry);
  if (!probes) compiledProbes.set(registry, (probes = new Map()));
  let compiled = probes.get(shape);
  if (!compiled) probes.set(shape, (compiled = compileProbe(probed, xip !== '')));
  return compiled({ xmax, xip: `{${xip}}` });
}

type ProbeValues = { xmax: string; xip: string };

/** The probe statements of a registry, compiled once per set of entities and snapshot shape. */
const compiledProbes = new WeakMap<Registry, Map<string, CompiledSql<ProbeValues>>>();

function compileProbe(probed: readonly EntityModel[], inProgress: boolean): CompiledSql<ProbeValues> {
  if (probed.length === 0) return compileSql(sql`select pg_current_snapshot()::text as snapshot, false as changed`);
  const since = (column: AnyPgColumn) => writtenAfter(column, sql.placeholder('xmax'), inProgress ? sql.placeholder('xip') : null);
  const rows = probed.map((model) => sql`exists (select from ${model.table} where ${since(model.table.changedTx)})`);
  const names = sql.join(probed.map((m) => sql`${m.name}`), sql`, `);
  const deleted = sql`exists (select from ${syncTombstones} where ${syncTombstones.entity} in (${names}) and ${since(syncTombstones.tx)})`;
  return compileSql(sql`select pg_current_snapshot()::text as snapshot, (${sql.join([...rows, deleted], sql` or `)}) as changed`);
}

/**
 * One statement telling whether an incremental download from `snapshot` could hold anything, with
 * the snapshot it looked in (a single statement reads one snapshot, so no transaction is needed).
 * It errs on the side of "changed": any write to the entities counts, whoever may see it, and the
 * full incremental download then decides what the viewer gets. "Not changed" is exact, also under
 * R18: a row or tombstone written by a transaction the old snapshot did not see and the new one
 * does is found through the `changed_tx`/`tx` indexes, so the new snapshot is a safe checkpoint.
 */
export async function probeChanges(db: Db, models: readonly EntityModel[], snapshot: string, registry: Registry): Promise<ChangeProbe> {
  const [row] = await queryRows<{ snapshot: string; changed: boolean }>(db, probeChangesQuery(models, snapshot, registry));
  return { snapshot: row!.snapshot, changed: row!.changed === true };
}

/** The rows of an entity changed since the snapshot, in `page` (all when none) and `scope`, with their visibility. */
export async function changedRows(
  db: Db,
  model: EntityModel,
  viewer: Viewer,
  snapshot: string,
  registry: Registry,
  page: PageWindow | undefined,
  scope?: ChangedRowsScope,
): Promise<ChangedRow[]> {
  const { visible, options } = changedSelection(model, viewer, snapshot, registry, page, scope);
  const rows = await selectRowsWith<boolean>(db, model.table, visible, options);
  return rows.map(({ row, extra }) => ({ row, visible: extra === true }));
}

/**
 * Objects of these entities deleted since the snapshot, ordered by (entity, id); `after` is
 * `entity:id`. `scope` narrows it (a condition on `sync_tombstones`).
 */
export async function deletedSince(db: Db, entities: string[], snapshot: string, page: PageWindow, scope?: SQL): Promise<ObjectKey[]> {
  if (entities.length === 0) return [];
  const [afterEntity, afterId] = page.after ? [page.after.slice(0, page.after.indexOf(':')), page.after.slice(page.after.indexOf(':') + 1)] : [];
  return db
    .select({ entity: syncTombstones.entity, id: syncTombstones.objectId })
    .from(syncTombstones)
    .where(
      and(
        inArray(syncTombstones.entity, entities),
        writtenSince(syncTombstones.tx, snapshot),
        page.after ? sql`(${syncTombstones.entity}, ${syncTombstones.objectId}) > (${afterEntity}, ${afterId}::uuid)` : undefined,
        scope,
      ),
    )
    .orderBy(asc(syncTombstones.entity), asc(syncTombstones.objectId))
    .limit(page.limit);
}

/** Whether a transaction id was visible in a snapshot (`xmin:xmax:xip,...`), as PostgreSQL decides it. */
export function visibleInSnapshot(tx: string, snapshot: string): boolean {
  const [xmin, xmax, xip = ''] = snapshot.split(':');
  const id = BigInt(tx);
  if (id < BigInt(xmin!)) return true;
  if (id >= BigInt(xmax!)) return false;
  return !xip.split(',').includes(tx);
}

/** An object's state at the checkpoint, from the row image kept before its first change since. */
interface CheckpointState {
  id: string;
  /** The image, keyed by column name. */
  old: Record<string, unknown>;
  /** The viewer's download filter accepts it. */
  passes: boolean;
}

/** The states at the checkpoint of those of these objects that existed then and changed since. */
async function statesAtCheckpoint(db: Db, model: EntityModel, viewer: Viewer, snapshot: string, ids: readonly string[]): Promise<CheckpointState[]> {
  if (ids.length === 0) return [];
  const image = sql.identifier(model.tableName);
  const where = downloadWhere(model, viewer);
  return queryRows<{ id: string; old: Record<string, unknown>; passes: boolean }>(
    db,
    sql`select first_change.object_id as id, first_change.old as old, ${where ? sql`coalesce((${where}), false)` : sql`true`} as passes
      from (
        select distinct on (h.object_id) h.object_id, h.old
        from ${syncRowHistory} h
        where h.entity = ${model.name}
          and h.object_id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})
          and ${writtenSince(sql`h.tx`, snapshot)}
        order by h.object_id, h.seq
      ) first_change
      cross join lateral json_populate_record(null::${image}, first_change.old) as ${image}
      where not ${writtenSince(sql`${image}.changed_tx`, snapshot)}`,
  );
}

/**
 * Of these objects, which the viewer could download at the checkpoint, so that its device may
 * hold them: only those may be in its `deleted` (an object the device never had is none of its
 * business, and sending its id would tell it about others' objects). Judged by each object's
 * state then; for an entity whose visibility follows a target (`dependsOn`: a photo and its work
 * order), also by whether that target was downloadable then. `rows` gives the current row of
 * objects that still exist: one unchanged since the checkpoint is its own state then.
 */
export async function formerlyDownloadable(
  db: Db,
  model: EntityModel,
  viewer: Viewer,
  snapshot: string,
  registry: Registry,
  ids: readonly string[],
  rows: ReadonlyMap<string, Row> = new Map(),
): Promise<Set<string>> {
  const states = await statesAtCheckpoint(db, model, viewer, snapshot, ids);
  const result = new Set(states.filter((s) => s.passes).map((s) => s.id));
  const stateOf = new Map(states.map((s) => [s.id, s]));
  for (const name of model.definition.download.dependsOn ?? []) {
    const attribute = model.attributes.get(name)!;
    const target = registry.get(attribute.reference!.entity)!;
    const targetOf = new Map<string, string>();
    for (const id of ids) {
      if (result.has(id)) continue;
      const state = stateOf.get(id);
      const row = rows.get(id);
      if (state) targetOf.set(id, state.old[attribute.column.name] as string);
      else if (row && visibleInSnapshot(row.changedTx as string, snapshot)) targetOf.set(id, row[name] as string);
    }
    const targets = await formerlyDownloadable(db, target, viewer, snapshot, registry, [...new Set(targetOf.values())]);
    for (const [id, targetId] of targetOf) if (targets.has(targetId)) result.add(id);
  }
  return result;
}
