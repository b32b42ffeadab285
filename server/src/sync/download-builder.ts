import type { Db } from '../registry/define-entity.ts';
import type { EntityModel, Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { formerlyDownloadable, type ChangedRow } from './changes-since.ts';
import type { ObjectKey, Row, SyncObjectData } from './types.ts';

/** One page of a download, as the sync returns it. */
export interface DownloadResult {
  checkpoint: string;
  reset: boolean;
  hasMore: boolean;
  /** The cursor of the next page, when `hasMore`. */
  nextPage: string | null;
  upserted: SyncObjectData[];
  deleted: ObjectKey[];
}

/** Collects a page of the download, one entry per object, whatever found it. */
export class DownloadBuilder {
  private readonly upserts = new Map<string, SyncObjectData>();
  private readonly deletes = new Map<string, ObjectKey>();
  upsert(entity: string, row: Row): void {
    const key = `${entity}:${row.id as string}`;
    this.deletes.delete(key);
    this.upserts.set(key, { entity, row });
  }
  remove(entity: string, id: string): void {
    const key = `${entity}:${id}`;
    if (!this.upserts.has(key)) this.deletes.set(key, { entity, id });
  }
  /** Whether the page already holds this object (`entity:id`), to upsert or to remove. */
  holds(key: string): boolean {
    return this.upserts.has(key) || this.deletes.has(key);
  }
  get size(): number {
    return this.upserts.size + this.deletes.size;
  }
  result(checkpoint: string, reset: boolean, nextPage: string | null): DownloadResult {
    return { checkpoint, reset, hasMore: nextPage !== null, nextPage, upserted: [...this.upserts.values()], deleted: [...this.deletes.values()] };
  }
}

export function groupByEntity(keys: Iterable<ObjectKey>): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const { entity, id } of keys) {
    const ids = groups.get(entity) ?? new Set<string>();
    ids.add(id);
    groups.set(entity, ids);
  }
  return groups;
}

/** What an incremental download reads against: the viewer, and the snapshot it is incremental from. */
export interface IncrementalScope {
  registry: Registry;
  viewer: Viewer;
  since: string;
}

/**
 * Adds an entity's changed rows to the page: those the viewer downloads now as upserts, the
 * others as removals where the device may hold them (they were downloadable at the checkpoint).
 */
export async function addChangedRows(db: Db, scope: IncrementalScope, model: EntityModel, changed: readonly ChangedRow[], out: DownloadBuilder): Promise<void> {
  for (const { row, visible } of changed) if (visible) out.upsert(model.name, row);
  const hidden = new Map(changed.filter((c) => !c.visible).map((c) => [c.row.id as string, c.row]));
  for (const id of await formerlyDownloadable(db, model, scope.viewer, scope.since, scope.registry, [...hidden.keys()], hidden)) {
    out.remove(model.name, id);
  }
}

/** Adds objects deleted since the checkpoint to the page as removals, where the device may hold them. */
export async function addDeletedObjects(db: Db, scope: IncrementalScope, deleted: readonly ObjectKey[], out: DownloadBuilder): Promise<void> {
  for (const [entity, ids] of groupByEntity(deleted)) {
    const held = await formerlyDownloadable(db, scope.registry.get(entity)!, scope.viewer, scope.since, scope.registry, [...ids]);
    for (const id of held) out.remove(entity, id);
  }
}
