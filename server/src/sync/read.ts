import { and, asc, count, desc, eq, isNull, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { readWhere } from './access.ts';
import { selectRows } from './row-select.ts';
import { SyncRequestError } from './errors.ts';
import type { Row } from './types.ts';
import { isUuid } from './validate.ts';

/** The read queries of API consumers and ONLINE entities, under the same read rules (R7). */

/** One object by id, or null when it does not exist or the viewer may not read it. */
export async function getObject(db: Db, model: EntityModel, viewer: Viewer, id: string): Promise<Row | null> {
  if (!isUuid(id)) return null;
  const [row] = await selectRows(db, model.table, { where: and(eq(model.table.id, id), readWhere(model, viewer)) });
  return row ?? null;
}

export interface ListQuery {
  /** Equality per attribute or system field; a null value matches NULL. */
  filter: Row;
  orderBy: string;
  descending: boolean;
  first: number;
  offset: number;
}

export interface ListPage {
  rows: Row[];
  totalCount: number;
}

function column(model: EntityModel, name: string): AnyPgColumn {
  const attribute = model.attributes.get(name);
  if (attribute) return attribute.column;
  const system = (model.table as unknown as Record<string, AnyPgColumn | undefined>)[name];
  if (system && ['id', 'version', 'createdAt', 'changedAt'].includes(name)) return system;
  throw new SyncRequestError('BAD_REQUEST', `${model.name} has no attribute "${name}"`);
}

/** A page of the objects the viewer may read, filtered and sorted (ties broken by id). */
export async function listObjects(db: Db, model: EntityModel, viewer: Viewer, query: ListQuery): Promise<ListPage> {
  const conditions: (SQL | undefined)[] = [readWhere(model, viewer)];
  for (const [name, value] of Object.entries(query.filter)) {
    if (value === undefined) continue;
    if (name === 'id' && !isUuid(value)) return { rows: [], totalCount: 0 };
    conditions.push(value === null ? isNull(column(model, name)) : eq(column(model, name), value));
  }
  const where = and(...conditions);
  const direction = query.descending ? desc : asc;
  const rows = await db
    .select()
    .from(model.table)
    .where(where)
    .orderBy(direction(column(model, query.orderBy)), direction(model.table.id))
    .limit(query.first)
    .offset(query.offset);
  const [total] = await db.select({ n: count() }).from(model.table).where(where);
  return { rows, totalCount: Number(total?.n ?? 0) };
}
