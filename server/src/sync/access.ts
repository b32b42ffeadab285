import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Db, RowFilter, Rule, RuleContext, SyncTable } from '../registry/define-entity.ts';
import type { EntityModel } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';

/** R7: evaluating access rules and read filters for a viewer. */

/** A row filter as a WHERE condition; undefined means all rows. */
export function toWhere(filter: RowFilter): SQL | undefined {
  if (filter === true) return undefined;
  if (filter === false) return sql`false`;
  return filter;
}

/** The rows of an entity the viewer may read. */
export function readWhere(model: EntityModel, viewer: Viewer): SQL | undefined {
  const read = model.definition.access.read;
  return read ? toWhere(read(viewer, model.table)) : undefined;
}

/** The rows full sync downloads to the viewer (R15): readable and, for FILTERED, in the filter. */
export function downloadWhere(model: EntityModel, viewer: Viewer): SQL | undefined {
  const { download } = model.definition;
  const read = readWhere(model, viewer);
  if (download.mode !== 'FILTERED') return read;
  return and(read, toWhere(download.filter(viewer, model.table)));
}

/** Evaluates a create/update/delete rule; an absent rule denies. */
export async function allowed(rule: Rule<SyncTable> | undefined, ctx: RuleContext<SyncTable>): Promise<boolean> {
  if (rule === undefined) return false;
  if (typeof rule === 'boolean') return rule;
  return (await rule(ctx)) === true;
}

/** Whether the viewer may read the object with this id (false also when it does not exist). */
export async function isReadable(db: Db, model: EntityModel, viewer: Viewer, id: string): Promise<boolean> {
  const table = model.table;
  const found = await db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.id, id), readWhere(model, viewer)));
  return found.length > 0;
}
