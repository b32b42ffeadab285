import { decodeChanges } from './change-set.ts';
import type { EntityMetadata, EntityName, EntityTypeMap, EntityValues, EntityView } from './entity-types.ts';
import type { AttributeValues } from './entity-types.ts';
import type { IdGenerator } from './environment.ts';
import { InvalidChangeError, ObjectNotFoundError } from './errors.ts';
import {
  contentBytes,
  currentHash,
  describedBy,
  isFileEntity,
  sha256Hex,
  type ContentOptions,
  type FileContent,
  type FileEntityName,
} from './file-content.ts';
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
import type { ChangeSource, ContentWrite, LocalStore } from './local-store.ts';
import { objectWrites } from './object-writes.ts';
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

/** Content for a file entity's object (F1); a type error for other entities. */
export type AttachableContent<M extends EntityTypeMap, E extends EntityName<M>> = E extends FileEntityName<M> ? FileContent : never;

/** Options of `create`: file entities also take the new object's content (F1). */
export type CreateOptions<M extends EntityTypeMap, E extends EntityName<M>> = EditOptions & {
  /** The object's id; default a new UUID. */
  id?: string;
} & (E extends FileEntityName<M> ? ContentOptions & { content?: FileContent } : { content?: never });

/** Options of `attach`. */
export type AttachOptions = EditOptions & ContentOptions;

/** Attached content, hashed and ready to store with its object. */
interface PreparedContent {
  write: ContentWrite;
  /** The name and type the app passed. */
  given: ContentOptions;
  /** The name and type a File or Blob brought along. */
  brought: ContentOptions;
}

/** What a collection subscriber is told. */
export interface CollectionEvent {
  source: ChangeSource;
  /** The ids of the objects of this entity that changed or were removed. */
  ids: readonly string[];
}

/** Builds what the app sees of an object: its own copy, which it may change. */
export function toView<M extends EntityTypeMap, E extends EntityName<M>>(object: LocalObject, metadata: EntityMetadata): EntityView<M, E> {
  const { synced, pending, draft } = object;
  const changed = pending !== null && pending.op !== 'DELETE' ? pending.values : null;
  const view: Record<string, unknown> = {};
  for (const field of metadata.fields) {
    const value = draft !== null && field in draft ? draft[field] : changed !== null && field in changed ? changed[field] : synced?.[field];
    // The device's values are frozen and shared: JSON values are handed out as copies.
    view[field] = typeof value === 'object' && value !== null ? structuredClone(value) : (value ?? null);
  }
  view.id = object.id;
  view.version = synced?.version ?? null;
  view.createdAt = synced?.createdAt ?? null;
  view.changedAt = synced?.changedAt ?? null;
  view.$status = objectStatus(object);
  return view as EntityView<M, E>;
}

function definedOnly(options: ContentOptions): ContentOptions {
  return {
    ...(options.fileName !== undefined ? { fileName: options.fileName } : {}),
    ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
  };
}

export class EntityCollection<M extends EntityTypeMap, E extends EntityName<M>> {
  constructor(
    readonly name: E,
    private readonly metadata: EntityMetadata,
    private readonly store: LocalStore,
    private readonly generateId: IdGenerator,
  ) {}

  /**
   * Creates a new object with a device-made UUID (R1). Until committed, no sync uploads it (R2).
   * For a file entity, `content` attaches its content as `attach` does (`fileName` is then required
   * unless the content is a File or `values` has it).
   */
  async create(values: EntityValues<M, E> = {} as EntityValues<M, E>, options: CreateOptions<M, E> = {} as CreateOptions<M, E>): Promise<EntityView<M, E>> {
    this.checkStored();
    const checked = checkWritable(this.name, this.metadata, values);
    const { content, fileName, contentType } = options as EditOptions & ContentOptions & { id?: string; content?: FileContent };
    const prepared = content === undefined ? null : await this.prepare(content, { fileName, contentType });
    const id = options.id ?? this.generateId();
    return this.kept(
      this.write(
        (current) => {
          if (current(id)) throw new InvalidChangeError(`${this.name} ${id} already exists on this device`);
          const created = createObject(this.name, id, prepared ? { ...checked, ...this.contentEdit(id, prepared, {}, checked) } : checked);
          return options.commit ? commitObject(created) : created;
        },
        id,
        prepared,
      ),
      id,
    );
  }

  /**
   * F1: attaches content (a Blob or File, or bytes) to an object of a file entity: stores the bytes
   * on the device and sets `contentHash` (SHA-256) and `size`, and `fileName` and `contentType` when
   * given (default: a File's name, a Blob's type). An edit like `update`, uncommitted unless
   * `commit` is set; the sync that uploads it uploads the content first (F2).
   */
  async attach(id: string, content: AttachableContent<M, E>, options: AttachOptions = {}): Promise<EntityView<M, E>> {
    this.checkStored();
    const prepared = await this.prepare(content, options);
    return this.kept(
      this.write(
        (current) => {
          const object = this.existing(current(id), id);
          const edited = editObject(object, this.contentEdit(id, prepared, currentValues(object), {}));
          return options.commit ? commitObject(edited) : edited;
        },
        id,
        prepared,
      ),
      id,
    );
  }

  /**
   * The content of an object of a file entity as the app sees it (uncommitted attachments
   * included), or null: no such object, no content attached, or not on the device (a sync
   * reported a warning for it; see `hasContent`).
   */
  async content(id: string): Promise<Uint8Array<ArrayBuffer> | null> {
    const object = this.store.object(this.name, id);
    const hash = object && !isDeleted(object) ? currentHash(object) : null;
    return hash === null ? null : this.store.readContent(hash);
  }

  /** `content(id)` as a Blob typed with the object's `contentType` (e.g. for `URL.createObjectURL`). */
  async contentBlob(id: string): Promise<Blob | null> {
    const bytes = await this.content(id);
    if (bytes === null) return null;
    const type = this.store.object(this.name, id);
    const contentType = type ? currentValues(type).contentType : null;
    return new Blob([bytes], typeof contentType === 'string' ? { type: contentType } : {});
  }

  /** True when the object's content is on the device. Synchronous. */
  hasContent(id: string): boolean {
    const object = this.store.object(this.name, id);
    const hash = object && !isDeleted(object) ? currentHash(object) : null;
    return hash !== null && this.store.hasContent(hash);
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
    return this.store.subscribeEntity(this.name, listener);
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

  /** Reads and hashes attached content before the store transaction (hashing is asynchronous). */
  private async prepare(content: FileContent, options: ContentOptions): Promise<PreparedContent> {
    if (!isFileEntity(this.metadata)) throw new InvalidChangeError(`${this.name} is not a file entity: it has no content to attach`);
    const bytes = await contentBytes(content);
    return { write: { hash: await sha256Hex(bytes), bytes }, given: definedOnly(options), brought: describedBy(content) };
  }

  /**
   * The F1 attributes of attached content. The name and type come from, by priority: the options,
   * the values of `create`, the File or Blob, the object's current ones; a name is required, the
   * type defaults to `application/octet-stream`.
   */
  private contentEdit(id: string, content: PreparedContent, current: AttributeValues, created: AttributeValues): AttributeValues {
    const merged: AttributeValues = { ...current, ...content.brought, ...created, ...content.given };
    if (typeof merged.fileName !== 'string' || merged.fileName === '') {
      throw new InvalidChangeError(`${this.name} ${id}: attached content needs a fileName (pass it, or attach a File)`);
    }
    return {
      contentHash: content.write.hash,
      size: content.write.bytes.byteLength,
      fileName: merged.fileName,
      contentType: typeof merged.contentType === 'string' ? merged.contentType : 'application/octet-stream',
    };
  }

  private existing(object: LocalObject | undefined, id: string): LocalObject {
    if (!object || isDeleted(object)) throw new ObjectNotFoundError(this.name, id);
    return object;
  }

  /**
   * Applies a local change to one object in a store transaction, with its attached content if
   * any (stored once per hash); returns the new view.
   */
  private write(
    change: (current: (id: string) => LocalObject | undefined) => LocalObject | null,
    id: string,
    content: PreparedContent | null = null,
  ): Promise<EntityView<M, E> | undefined> {
    return this.store.transact('local', () => {
      const next = change((key) => this.store.object(this.name, key));
      const objects = objectWrites([[this.name, id, next]]);
      const putContents = content && next !== null && !this.store.hasContent(content.write.hash) ? [content.write] : [];
      return { changes: { objects, putContents }, result: next === null ? undefined : toView<M, E>(next, this.metadata) };
    });
  }

  /** For writes that always keep the object. */
  private async kept(written: Promise<EntityView<M, E> | undefined>, id: string): Promise<EntityView<M, E>> {
    const view = await written;
    if (!view) throw new ObjectNotFoundError(this.name, id);
    return view;
  }
}
