import { eq, sql } from 'drizzle-orm';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { isReadable, readWhere } from './access.ts';
import { selectRowsWith } from './row-select.ts';
import type { Row } from './types.ts';

/**
 * How the apply stage reads and writes the objects a change set creates and updates. The
 * one-by-one path (`directStore`) runs each statement when asked; the batched path
 * (`batch-store.ts`) locks many rows in one statement and writes many rows in one statement.
 */
export interface ApplyStore {
  /** Locks the object's row for this transaction; undefined when it does not exist. */
  lock(model: EntityModel, id: string): Promise<LockedRow | undefined>;
  /** Whether the viewer may read the object (false also when it does not exist): R9. */
  isReadable(model: EntityModel, id: string): Promise<boolean>;
  /** Inserts a new object's complete row. */
  insert(model: EntityModel, row: Row): Promise<void>;
  /** Writes the changed attributes of a locked row; returns the new version. */
  update(model: EntityModel, existing: Row, diff: Row, now: Date): Promise<number>;
}

/** An existing row, locked for this transaction, and whether the viewer may read it. */
export interface LockedRow {
  row: Row;
  readable: boolean;
}

/** Locks and reads rows by id and checks the read rule, in one statement, in id order. */
export async function lockRows(db: Db, model: EntityModel, viewer: Viewer, ids: Iterable<string>): Promise<Map<string, LockedRow>> {
  const rule = readWhere(model, viewer);
  const readable = rule ? sql`coalesce((${rule}), false)` : sql`true`;
  const found = await selectRowsWith<boolean>(db, model.table, readable, { ids, orderById: true, forUpdate: true });
  const locked = new Map<string, LockedRow>();
  for (const { row, extra } of found) locked.set(row.id as string, { row, readable: extra === true });
  return locked;
}

/** The one-by-one store: every call is one statement, run at once. */
export function directStore(db: Db, viewer: Viewer): ApplyStore {
  return {
    async lock(model, id) {
      return (await lockRows(db, model, viewer, [id])).get(id);
    },
    isReadable: (model, id) => isReadable(db, model, viewer, id),
    async insert(model, row) {
      await db.insert(model.table).values(row);
    },
    async update(model, existing, diff, now) {
      const [updated] = await db
        .update(model.table)
        .set({ ...diff, version: sql`${model.table.version} + 1`, changedAt: now })
        .where(eq(model.table.id, existing.id as string))
        .returning({ version: model.table.version });
      return updated!.version as number;
    },
  };
}
