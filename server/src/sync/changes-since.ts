import { and, asc, getTableColumns, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { syncTombstones } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel, Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { downloadWhere } from './access.ts';
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
  const inProgress = xip === '' ? [] : xip.split(',');
  const later = sql`${column} >= ${xmax}::xid8`;
  if (inProgress.length === 0) return sql`(${later})`;
  return sql`(${later} or ${column} = any(${`{${inProgress.join(',')}}`}::xid8[]))`;
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

/** The query for one entity's rows changed since the snapshot, with their visibility to the viewer, by id. */
export function changedRowsQuery(db: Db, model: EntityModel, viewer: Viewer, snapshot: string, registry: Registry, page?: PageWindow) {
  const table = model.table;
  const where = downloadWhere(model, viewer);
  const visible = where ? sql<boolean>`coalesce((${where}), false)` : sql<boolean>`true`;
  const conditions: SQL[] = [writtenSince(table.changedTx, snapshot)];
  // Rows whose visibility follows a referenced object that changed (a photo of a reassigned work order).
  for (const name of model.definition.download.dependsOn ?? []) {
    const attribute = model.attributes.get(name)!;
    const target = registry.get(attribute.reference!.entity)!;
    conditions.push(
      sql`${attribute.column} in (select ${target.table.id} from ${target.table} where ${writtenSince(target.table.changedTx, snapshot)})`,
    );
  }
  const changed = conditions.length === 1 ? conditions[0]! : sql`(${sql.join(conditions, sql` or `)})`;
  const query = db
    .select({ ...getTableColumns(table), __visible: visible })
    .from(table)
    .where(and(changed, page?.after ? gt(table.id, page.after) : undefined))
    .orderBy(asc(table.id));
  return page ? query.limit(page.limit) : query;
}

export async function changedRows(db: Db, model: EntityModel, viewer: Viewer, snapshot: string, registry: Registry, page: PageWindow): Promise<ChangedRow[]> {
  const rows = (await changedRowsQuery(db, model, viewer, snapshot, registry, page)) as (Row & { __visible: boolean })[];
  return rows.map(({ __visible, ...row }) => ({ row, visible: __visible === true }));
}

/** Objects of these entities deleted since the snapshot, ordered by (entity, id); `after` is `entity:id`. */
export async function deletedSince(db: Db, entities: string[], snapshot: string, page: PageWindow): Promise<ObjectKey[]> {
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
      ),
    )
    .orderBy(asc(syncTombstones.entity), asc(syncTombstones.objectId))
    .limit(page.limit);
}
