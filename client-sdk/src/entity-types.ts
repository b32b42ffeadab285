/**
 * The type machinery that makes the local database typed by the generated schema types: every
 * public API is keyed by the entity name, and the generated `SyncEntityTypes` map supplies the
 * object and value types of each entity.
 */

/** Runtime metadata of one synced entity, generated from the schema. */
export interface EntityMetadata {
  /** Every field of the entity as downloaded, system fields included. */
  readonly fields: readonly string[];
  /** The attributes a device may write (the fields of `<Entity>Values`). */
  readonly writable: readonly string[];
  /** The server's read queries of the entity: by id (`customer`) and paged (`customers`). */
  readonly queries: { readonly get: string; readonly list: string };
}

/** The shape of a generated entity map: per entity, the downloaded object and the writable values. */
export type EntityTypeMap = { [entity: string]: { object: { id: string }; values: object } };

/** Runtime metadata for every entity of a map. */
export type EntityMetadataMap<M extends EntityTypeMap> = { readonly [E in EntityName<M>]: EntityMetadata };

/** The names of the entities of a map (the `SyncEntity` values). */
export type EntityName<M extends EntityTypeMap> = keyof M & string;

/** The values a device may write for an entity: absent = unchanged, `null` = cleared. */
export type EntityValues<M extends EntityTypeMap, E extends EntityName<M>> = M[E]['values'];

/** The fields the server owns on every object (R1). */
export type SystemFieldName = 'id' | 'version' | 'createdAt' | 'changedAt';

/** A value an attribute can hold locally: what GraphQL scalars and enums carry as JSON. */
export type AttributeValue = string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };

/** Attribute values keyed by attribute name, as stored locally and sent on the wire. */
export type AttributeValues = Record<string, AttributeValue>;

/** The committed change of an object that waits to be uploaded. */
export type PendingOp = 'CREATE' | 'UPDATE' | 'DELETE';

/** Where an object stands locally (Mendix-style committed state vs uncommitted edits). */
export interface ObjectStatus {
  /** Created on the device and never committed: not uploaded by any sync (R2). */
  readonly isNew: boolean;
  /** The object came from the server (it has a server version). */
  readonly fromServer: boolean;
  /** The committed change waiting for upload, if any. */
  readonly pending: PendingOp | null;
  /** The version the device last received; null if never synchronized. */
  readonly baseVersion: number | null;
  /** Attributes with committed, not yet uploaded changes. */
  readonly changedAttributes: readonly string[];
  /** Attributes with uncommitted edits. */
  readonly uncommittedAttributes: readonly string[];
  /** True when there are uncommitted edits (`rollback` discards them). */
  readonly hasUncommittedChanges: boolean;
}

/**
 * An object as the app reads it: committed state plus uncommitted edits. The system fields are
 * null for an object the server has never seen; attributes not set yet are null too.
 */
export type EntityView<M extends EntityTypeMap, E extends EntityName<M>> = Readonly<
  Omit<M[E]['object'], Exclude<SystemFieldName, 'id'>> & {
    id: string;
    version: number | null;
    createdAt: string | null;
    changedAt: string | null;
    /** Local change-tracking state of the object. */
    $status: ObjectStatus;
  }
>;

/** Identifies one object. */
export interface ObjectKey<Entity extends string = string> {
  entity: Entity;
  id: string;
}
