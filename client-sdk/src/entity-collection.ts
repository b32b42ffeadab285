import { decodeChanges } from './change-set.ts';
import type { EntityMetadata, EntityName, EntityTypeMap, EntityValues, EntityView } from './entity-types.ts';
import type { IdGenerator } from './environment.ts';
import { InvalidChangeError, ObjectNotFoundError } from './errors.ts';
import {
  checkWritable,
  commitObject,
  createObject,
  currentValues,
  deleteObject,
  editObject,
  isDeleted,
  objectKey,
  objectStatus,
  rollbackObject,
  type LocalObject,
} from './local-object.ts';
import type { ChangeSource, LocalStore } from './local-store.ts';
import { runQuery, type ListQuery } from './query.ts';

/**
 * The typed API of one entity on the device: create, edit, commit, roll back, delete, read,
 * list and subscribe. Reads are synchronous (from memory); writes resolve once persisted.
 */

/** Options of `create` and `update`. */
export interface EditOptions {
  /** Commit right away (default: the edit stays uncommitted until `commit`). */
  commit?: boolean;
}

/** What a collection subscriber is told. */
export interface CollectionEvent {
  source: ChangeSource;
  /** The ids of the objects of this entity that changed or were removed. */
  ids: readonly string[];
}

/** Builds what the app sees of an object. */
export function toView<M extends EntityTypeMap, E extends EntityName<M>>(object: LocalObject, metadata: EntityMetadata): EntityView<M, E> {
  const view: Record<string, unknown> = {};
  for (const field of metadata.fields) view[field] = null;
  Object.assign(view, currentValues(object), {
    id: object.id,
    version: object.synced?.version ?? null,
    createdAt: object.synced?.createdAt ?? null,
    changedAt: object.synced?.changedAt ?? null,
    $status: objectStatus(object),
  });
  return view as EntityView<M, E>;
}

export class EntityCollection<M extends EntityTypeMap, E extends EntityName<M>> {
  constructor(
    readonly name: E,
    private readonly metadata: EntityMetadata,
    private readonly store: LocalStore,
    private readonly generateId: IdGenerator,
  ) {}

  /** Creates a new object with a device-made UUID (R1). Until committed, no sync uploads it (R2). */
  async create(values: EntityValues<M, E> = {} as EntityValues<M, E>, options: EditOptions & { id?: string } = {}): Promise<EntityView<M, E>> {
    this.checkStored();
    const checked = checkWritable(this.name, this.metadata, values);
    const id = options.id ?? this.generateId();
    return this.kept(
      this.write((current) => {
        if (current(id)) throw new InvalidChangeError(`${this.name} ${id} already exists on this device`);
        const created = createObject(this.name, id, checked);
        return options.commit ? commitObject(created) : created;
      }, id),
      id,
    );
  }

  /** Edits an object; the edit is uncommitted unless `commit` is set. */
  async update(id: string, values: EntityValues<M, E>, options: EditOptions = {}): Promise<EntityView<M, E>> {
    this.checkStored();
    const checked = checkWritable(this.name, this.metadata, values);
    return this.kept(
      this.write((current) => {
        const edited = editObject(this.existing(current(id), id), checked);
        return options.commit ? commitObject(edited) : edited;
      }, id),
      id,
    );
  }

  /** Commits the uncommitted edits of an object: the next sync uploads them. */
  async commit(id: string): Promise<EntityView<M, E>> {
    return this.kept(this.write((current) => commitObject(this.existing(current(id), id)), id), id);
  }

  /** Discards uncommitted edits; an object never committed disappears. */
  async rollback(id: string): Promise<EntityView<M, E> | undefined> {
    return this.write((current) => rollbackObject(this.existing(current(id), id)), id);
  }

  /** Deletes an object (committed at once); the next sync deletes it on the server. */
  async delete(id: string): Promise<void> {
    await this.write((current) => {
      const object = this.existing(current(id), id);
      const inflight = this.store.meta('inflight');
      const createInFlight = inflight !== undefined && decodeChanges(inflight.input).has(objectKey(this.name, id));
      return deleteObject(object, createInFlight);
    }, id);
  }

  /** The object as the app sees it (uncommitted edits included); undefined if absent or deleted. */
  get(id: string): EntityView<M, E> | undefined {
    const object = this.store.object(this.name, id);
    return object && !isDeleted(object) ? toView<M, E>(object, this.metadata) : undefined;
  }

  /** The objects of this entity, filtered, sorted and paged. Deleted objects are left out. */
  list(query: ListQuery<EntityView<M, E>> = {}): EntityView<M, E>[] {
    const views = this.store
      .allObjects(this.name)
      .filter((object) => !isDeleted(object))
      .map((object) => toView<M, E>(object, this.metadata));
    return runQuery(views, query);
  }

  /** Calls `listener` after objects of this entity change, locally or by a sync. */
  subscribe(listener: (event: CollectionEvent) => void): () => void {
    return this.store.subscribe((event) => {
      const ids = event.objects.filter((key) => key.entity === this.name).map((key) => key.id);
      if (ids.length > 0) listener({ source: event.source, ids });
    });
  }

  /**
   * R15 ONLINE: such objects are not kept on the device, so they cannot be made or edited here.
   * Known once the SDK has asked the server for the modes (every session's first sync).
   */
  private checkStored(): void {
    if (this.store.meta('modes')?.[this.name] === 'ONLINE') {
      throw new InvalidChangeError(`${this.name} is an ONLINE entity: it is not kept on the device; read it with db.online('${this.name}')`);
    }
  }

  private existing(object: LocalObject | undefined, id: string): LocalObject {
    if (!object || isDeleted(object)) throw new ObjectNotFoundError(this.name, id);
    return object;
  }

  /** Applies a local change to one object in a store transaction; returns the new view. */
  private write(
    change: (current: (id: string) => LocalObject | undefined) => LocalObject | null,
    id: string,
  ): Promise<EntityView<M, E> | undefined> {
    return this.store.transact('local', () => {
      const next = change((key) => this.store.object(this.name, key));
      const changes = next === null ? { removeObjects: [{ entity: this.name, id }] } : { putObjects: [next] };
      return { changes, result: next === null ? undefined : toView<M, E>(next, this.metadata) };
    });
  }

  /** For writes that always keep the object. */
  private async kept(written: Promise<EntityView<M, E> | undefined>, id: string): Promise<EntityView<M, E>> {
    const view = await written;
    if (!view) throw new ObjectNotFoundError(this.name, id);
    return view;
  }
}
