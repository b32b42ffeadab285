import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { queryRows } from '../db/query-rows.ts';
import { syncTombstones } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel, Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { downloadWhere } from './access.ts';
import { changedRows } from './changes-since.ts';
import { addChangedRows, addDeletedObjects, type DownloadBuilder } from './download-builder.ts';
import { selectRows } from './row-select.ts';

/**
 * An upload's own writes in the download that follows it. Every row and tombstone the upload's
 * transaction wrote is new to the device's checkpoint, and most of them are the uploaded objects,
 * whose post-commit state the first page holds anyway (R8). So the first page also takes the rest
 * of them (what hooks wrote through `ctx.db` without `touch`), read in the same snapshot, and the
 * download's steps skip whatever that transaction wrote: each object is sent once, and a large
 * upload is answered in its first page instead of once more in pages of the download page size.
 *
 * A row the upload wrote that changes again before a later page is read has another writer by
 * then, so that page sends its newer state (and the next sync, from this download's snapshot,
 * does anyway). Hooks that wrote more than a page of other objects leave the download as it was
 * without this: bounded pages, the uploaded objects sent once more.
 */

/** The condition that leaves out what the upload's transaction wrote; none without an upload. */
export function notWrittenBy(column: AnyPgColumn, uploadTx: string | null | undefined): SQL | undefined {
  return uploadTx ? sql`${column} <> ${uploadTx}::xid8` : undefined;
}

export interface OwnWritesOptions {
  registry: Registry;
  viewer: Viewer;
  /** The downloaded entities. */
  models: readonly EntityModel[];
  /** The snapshot the download is incremental from; null for a complete download. */
  since: string | null;
  /** The upload's transaction id (`pg_current_xact_id()`). */
  uploadTx: string;
  /**
   * Most objects to add besides those the page holds (a page's size): when hooks wrote more
   * (through `ctx.db`, without `touch`), the first page stays bounded and the download's steps
   * send them, in pages, with the uploaded objects once more.
   */
  limit: number;
}

/**
 * Adds to the first page what the upload's transaction wrote and the page does not hold yet, as
 * the download's steps would have sent it: rows the viewer downloads as upserts, the others and
 * deleted objects (incremental only) as removals where the device may hold them. False, with
 * nothing added, when that is over the limit: the steps must not skip the upload's writes then.
 */
export async function addOwnWrites(db: Db, options: OwnWritesOptions, out: DownloadBuilder): Promise<boolean> {
  const { registry, viewer, models, since, uploadTx } = options;
  const rows: { model: EntityModel; ids: string[] }[] = [];
  let count = 0;
  for (const model of models) {
    const written = await queryRows<{ id: string }>(
      db,
      sql`select ${model.table.id} as id from ${model.table} where ${model.table.changedTx} = ${uploadTx}::xid8`,
    );
    const ids = written.map((r) => r.id).filter((id) => !out.holds(`${model.name}:${id}`));
    if (ids.length > 0) rows.push({ model, ids });
    count += ids.length;
  }
  const deleted = since === null ? [] : (await tombstonesOf(db, models, uploadTx)).filter((k) => !out.holds(`${k.entity}:${k.id}`));
  if (count + deleted.length > options.limit) return false;
  for (const { model, ids } of rows) {
    if (since === null) {
      for (const row of await selectRows(db, model.table, { ids, where: downloadWhere(model, viewer), orderById: true })) out.upsert(model.name, row);
    } else {
      await addChangedRows(db, { registry, viewer, since }, model, await changedRows(db, model, viewer, since, registry, undefined, { ids }), out);
    }
  }
  if (since !== null) await addDeletedObjects(db, { registry, viewer, since }, deleted, out);
  return true;
}

/** The objects of these entities the transaction deleted. */
async function tombstonesOf(db: Db, models: readonly EntityModel[], uploadTx: string): Promise<{ entity: string; id: string }[]> {
  if (models.length === 0) return [];
  const names = sql.join(
    models.map((m) => sql`${m.name}`),
    sql`, `,
  );
  return queryRows<{ entity: string; id: string }>(
    db,
    sql`select ${syncTombstones.entity} as entity, ${syncTombstones.objectId} as id from ${syncTombstones}
      where ${syncTombstones.tx} = ${uploadTx}::xid8 and ${syncTombstones.entity} in (${names})`,
  );
}
