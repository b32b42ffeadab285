import type { SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgDatabase, PgQueryResultHKT, PgTable } from 'drizzle-orm/pg-core';
import type { SystemField } from './system-columns.ts';
import type { Viewer } from './viewer.ts';

/** A database handle: the pool, or the transaction a sync runs in. */
export type Db = PgDatabase<PgQueryResultHKT>;

/** A drizzle table that has the system columns of `syncColumns()`. */
export type SyncTable = PgTable & {
  id: AnyPgColumn;
  version: AnyPgColumn;
  createdAt: AnyPgColumn;
  changedAt: AnyPgColumn;
  changedTx: AnyPgColumn;
};

/** A row of the table, keyed by attribute name as drizzle selects it. */
export type RowOf<T extends SyncTable> = T['$inferSelect'];
/** The names of an entity's own attributes (everything but the system fields). */
export type AttributeOf<T extends SyncTable> = Exclude<keyof RowOf<T> & string, SystemField>;

/** R15: how full sync treats an entity. */
export type DownloadMode = 'ALL' | 'FILTERED' | 'NOTHING_CLEAR' | 'NOTHING_PRESERVE' | 'NEVER' | 'ONLINE';
export const downloadModes: readonly DownloadMode[] = ['ALL', 'FILTERED', 'NOTHING_CLEAR', 'NOTHING_PRESERVE', 'NEVER', 'ONLINE'];

/** A row-level rule: may the viewer do this to this row? */
export interface RuleContext<T extends SyncTable> {
  viewer: Viewer;
  db: Db;
  /** CREATE: the new row; UPDATE: the row as it would be committed; DELETE: the row to delete. */
  row: RowOf<T>;
  /** UPDATE: the row before the change; otherwise null. */
  previous: RowOf<T> | null;
}
export type Rule<T extends SyncTable> = boolean | ((ctx: RuleContext<T>) => boolean | Promise<boolean>);

/** What `read` and download filters return: a WHERE condition, `true` for all rows, `false` for none. */
export type RowFilter = SQL | boolean;

/** R7: who may read, create, update, delete, and which attributes each role may write. */
export interface AccessRules<T extends SyncTable> {
  /** SQL condition over the table for the rows the viewer may read; default: all rows. */
  read?: (viewer: Viewer, table: T) => RowFilter;
  /** Default: nobody. */
  create?: Rule<T>;
  /** Default: nobody. */
  update?: Rule<T>;
  /** Default: nobody. */
  delete?: Rule<T>;
  /** Per role, the attributes it may write, or `'all'`; a role not listed writes nothing. */
  writable: Readonly<Record<string, readonly AttributeOf<T>[] | 'all'>>;
}

/**
 * R15 download configuration; `filter` is required for FILTERED. `dependsOn` names reference
 * attributes whose target's changes can change which rows the viewer may read or download (a
 * photo is visible through its work order): incremental sync re-checks the rows referencing a
 * changed target.
 */
export type DownloadConfig<T extends SyncTable> =
  | { mode: 'FILTERED'; filter: (viewer: Viewer, table: T) => RowFilter; dependsOn?: readonly AttributeOf<T>[] }
  | { mode: Exclude<DownloadMode, 'FILTERED'>; dependsOn?: readonly AttributeOf<T>[] };

/** What a custom merge resolver is told about one attribute the device changed. */
export interface MergeContext {
  viewer: Viewer;
  attribute: string;
  /** The device's last-synced value. */
  base: unknown;
  /** The device's new value. */
  device: unknown;
  /** The server's current value. */
  server: unknown;
}
/**
 * R5: `deviceWins` (default) applies the device's value; `reject` gives a CONFLICT failure when the
 * server value differs from the device's base value; a function returns the value to commit.
 */
export type MergePolicy = 'deviceWins' | 'reject' | ((ctx: MergeContext) => unknown);

/** The context hooks run in, inside the sync transaction (R8). */
export interface HookContext<T extends SyncTable> {
  viewer: Viewer;
  db: Db;
  op: 'CREATE' | 'UPDATE' | 'DELETE';
  /** The state to commit; before-commit hooks may change it. */
  row: RowOf<T>;
  /** The state before the change (null for CREATE). */
  previous: RowOf<T> | null;
  /** Attributes the device changed (CREATE: the attributes it sent). */
  changed: ReadonlySet<string>;
  /** The commit time of this sync. */
  now: Date;
  /** Include another object a hook changed in this sync's download. */
  touch(entity: string, id: string): void;
}

export type Hook<T extends SyncTable> = (ctx: HookContext<T>) => void | Promise<void>;

/**
 * R8 hooks. Throw `ValidationError` to reject with VALIDATION, `HookError` for HOOK_ERROR; any
 * other error also rejects the change with HOOK_ERROR and a generic message (the cause is logged).
 */
export interface EntityHooks<T extends SyncTable> {
  /** Returns the messages of what is invalid (none: valid); runs before `beforeCommit`. */
  validate?: (ctx: HookContext<T>) => string[] | string | undefined | Promise<string[] | string | undefined>;
  beforeCommit?: Hook<T>;
  afterCommit?: Hook<T>;
  beforeDelete?: Hook<T>;
  afterDelete?: Hook<T>;
}

export type ScalarKind = 'ID' | 'String' | 'Int' | 'Float' | 'Boolean' | 'Date' | 'DateTime' | 'JSON';

/** A server-computed attribute: never stored, never written by the device. */
export interface CalculatedAttribute<T extends SyncTable> {
  type: ScalarKind;
  nullable?: boolean;
  description?: string;
  compute: (row: RowOf<T>, ctx: { now: Date }) => unknown;
}

/** A reference attribute (R9) and what deleting its target does. */
export interface ReferenceConfig {
  entity: string;
  /** `restrict` (default): deleting a referenced object fails; `cascade`: the referencing objects go too. */
  onDelete?: 'restrict' | 'cascade';
}

/** Everything the product needs to know about one synced entity. */
export interface EntityDefinition<T extends SyncTable = SyncTable> {
  /** The GraphQL type and `SyncEntity` value, PascalCase. */
  name: string;
  table: T;
  description?: string;
  /** Name of the list query; default: the name in lowerCamelCase plus `s`. */
  pluralName?: string;
  download: DownloadConfig<T>;
  access: AccessRules<T>;
  /** Attributes only the server sets (hooks); not part of `<Entity>Values`. */
  serverOnly?: readonly AttributeOf<T>[];
  references?: Partial<Record<AttributeOf<T>, ReferenceConfig>>;
  /** Default merge policy of the entity and per-attribute overrides (R5). */
  merge?: { default?: MergePolicy; attributes?: Partial<Record<AttributeOf<T>, MergePolicy>> };
  hooks?: EntityHooks<T>;
  calculated?: Record<string, CalculatedAttribute<T>>;
  /**
   * A file entity (F1): its table has `fileName`, `contentType`, `size` and `contentHash`
   * (SHA-256, hex) and its content lives in the blob store.
   */
  file?: boolean;
}

/**
 * Declares a synced entity. Typed against the drizzle table, so attribute names in rules,
 * `writable`, `references` and `merge` are checked by the compiler.
 */
export function defineEntity<T extends SyncTable>(definition: EntityDefinition<T>): EntityDefinition<SyncTable> {
  return definition as unknown as EntityDefinition<SyncTable>;
}
