import { onlineGetQuery, onlineListQuery } from './documents.ts';
import type { EntityMetadata, EntityName, EntityTypeMap } from './entity-types.ts';
import { SyncRequestError } from './errors.ts';
import type { Transport } from './transport.ts';

/**
 * Reads through the server (R15 ONLINE): objects that are not kept on the device, or any entity
 * when the app needs the server's current state. Needs the network; answers under the server's
 * read rules. Nothing read here is stored on the device.
 */

/** An object as the server's read queries return it. */
export type OnlineObject<M extends EntityTypeMap, E extends EntityName<M>> = M[E]['object'];

/** Equality filters per attribute; `null` matches objects where the attribute is null. */
export type OnlineFilter<M extends EntityTypeMap, E extends EntityName<M>> = {
  [K in keyof OnlineObject<M, E>]?: OnlineObject<M, E>[K] | null;
};

/** What `list` asks for: the server's `<entities>(filter, orderBy, direction, first, after)`. */
export interface OnlineListQuery<M extends EntityTypeMap, E extends EntityName<M>> {
  filter?: OnlineFilter<M, E>;
  /** A stored attribute or system field (calculated attributes cannot be sorted on); default `id`. */
  orderBy?: keyof OnlineObject<M, E> & string;
  /** Default `ASC`. */
  direction?: 'ASC' | 'DESC';
  /** Page size; the server's default is 100. */
  first?: number;
  /** The `nextCursor` of the previous page. */
  after?: string | null;
}

/** One page of a list. */
export interface OnlinePage<T> {
  items: T[];
  /** How many objects match the filter in all. */
  totalCount: number;
  /** Pass as `after` for the next page; null on the last one. */
  nextCursor: string | null;
}

function malformed(entity: string, query: string): SyncRequestError {
  return new SyncRequestError('protocol', `The server's answer to the ${entity} ${query} query is malformed`);
}

export class OnlineCollection<M extends EntityTypeMap, E extends EntityName<M>> {
  constructor(
    readonly name: E,
    private readonly metadata: EntityMetadata,
    private readonly transport: Transport,
  ) {}

  /** The object with this id, or null when it does not exist or the viewer may not read it. */
  async get(id: string): Promise<OnlineObject<M, E> | null> {
    const data = await this.transport.read(onlineGetQuery(this.name, this.metadata), { id });
    const object = data.object;
    if (object === null) return null;
    if (typeof object !== 'object' || object === undefined) throw malformed(this.name, this.metadata.queries.get);
    return object as OnlineObject<M, E>;
  }

  /** A page of the objects the viewer may read. Rejects with `SyncRequestError` when offline. */
  async list(query: OnlineListQuery<M, E> = {}): Promise<OnlinePage<OnlineObject<M, E>>> {
    const data = await this.transport.read(onlineListQuery(this.name, this.metadata), { ...query });
    const page = data.page as Partial<OnlinePage<OnlineObject<M, E>>> | null | undefined;
    if (!page || !Array.isArray(page.items) || typeof page.totalCount !== 'number') throw malformed(this.name, this.metadata.queries.list);
    return { items: page.items, totalCount: page.totalCount, nextCursor: page.nextCursor ?? null };
  }
}
