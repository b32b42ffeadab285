import { getTableColumns, getTableName } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { EntityDefinition, MergePolicy, ReferenceConfig, ScalarKind, SyncTable } from './define-entity.ts';
import { systemFields } from './system-columns.ts';

/** The GraphQL shape of a stored attribute, derived from its drizzle column. */
export type AttributeType = { scalar: ScalarKind } | { enumName: string; values: readonly string[] };

/** One stored attribute of an entity. */
export interface AttributeModel {
  name: string;
  column: PgColumn;
  type: AttributeType;
  /** The column is NOT NULL. */
  required: boolean;
  /** The column has a default, so a CREATE may leave it out. */
  hasDefault: boolean;
  /** Part of `<Entity>Values`: the device may send it (subject to `writable`). */
  deviceWritable: boolean;
  reference?: ReferenceConfig;
  merge: MergePolicy;
}

/** An entity as the sync core and the GraphQL layer use it: the definition plus derived facts. */
export interface EntityModel {
  name: string;
  definition: EntityDefinition;
  table: SyncTable;
  tableName: string;
  attributes: ReadonlyMap<string, AttributeModel>;
  /** Attributes in declaration order. */
  attributeList: readonly AttributeModel[];
  /** Their names, in the same order. */
  attributeNames: readonly string[];
  queryName: string;
  listQueryName: string;
  /** A file entity (F1): its content is in the blob store, addressed by `contentHash`. */
  isFile: boolean;
}

/** The attributes every file entity has (F1). */
export const fileAttributes = ['fileName', 'contentType', 'size', 'contentHash'] as const;

/** All synced entities of a server. */
export interface Registry {
  entities: ReadonlyMap<string, EntityModel>;
  list: readonly EntityModel[];
  get(name: string): EntityModel | undefined;
}

const scalarByColumnType: Record<string, ScalarKind> = {
  PgUUID: 'ID',
  PgText: 'String',
  PgVarchar: 'String',
  PgChar: 'String',
  PgInteger: 'Int',
  PgSmallInt: 'Int',
  PgSerial: 'Int',
  PgDoublePrecision: 'Float',
  PgReal: 'Float',
  PgNumeric: 'Float',
  PgBoolean: 'Boolean',
  PgDateString: 'Date',
  PgTimestamp: 'DateTime',
  PgJsonb: 'JSON',
  PgJson: 'JSON',
};

function pascalCase(snake: string): string {
  return snake.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function attributeType(entity: string, name: string, column: PgColumn): AttributeType {
  const enumColumn = column as PgColumn & { enum?: { enumName: string; enumValues: string[] } };
  if (column.columnType === 'PgEnumColumn' && enumColumn.enum) {
    return { enumName: pascalCase(enumColumn.enum.enumName), values: enumColumn.enum.enumValues };
  }
  const scalar = scalarByColumnType[column.columnType];
  if (!scalar) throw new Error(`${entity}.${name}: column type ${column.columnType} is not supported`);
  return { scalar };
}

function buildModel(definition: EntityDefinition, names: ReadonlySet<string>): EntityModel {
  const { name, table } = definition;
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`Entity name "${name}" must be PascalCase`);
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  for (const field of systemFields) {
    if (!columns[field]) throw new Error(`${name}: the table lacks the system column "${field}"; spread syncColumns()`);
  }
  const serverOnly = new Set<string>(definition.serverOnly ?? []);
  const references = (definition.references ?? {}) as Record<string, ReferenceConfig | undefined>;
  const mergeOverrides = (definition.merge?.attributes ?? {}) as Record<string, MergePolicy | undefined>;
  const attributeList: AttributeModel[] = [];
  for (const [attr, column] of Object.entries(columns)) {
    if ((systemFields as readonly string[]).includes(attr)) continue;
    const reference = references[attr];
    if (reference && !names.has(reference.entity)) {
      throw new Error(`${name}.${attr} references unknown entity "${reference.entity}"`);
    }
    attributeList.push({
      name: attr,
      column,
      type: attributeType(name, attr, column),
      required: column.notNull,
      hasDefault: column.hasDefault,
      deviceWritable: !serverOnly.has(attr),
      reference,
      merge: mergeOverrides[attr] ?? definition.merge?.default ?? 'deviceWins',
    });
  }
  const attributes = new Map(attributeList.map((a) => [a.name, a]));
  const known = (attr: string, where: string) => {
    if (!attributes.has(attr)) throw new Error(`${name}: ${where} names unknown attribute "${attr}"`);
  };
  for (const attr of serverOnly) known(attr, 'serverOnly');
  for (const attr of Object.keys(references)) known(attr, 'references');
  for (const attr of Object.keys(mergeOverrides)) known(attr, 'merge.attributes');
  for (const [role, attrs] of Object.entries(definition.access.writable)) {
    if (attrs !== 'all') for (const attr of attrs) known(attr, `access.writable.${role}`);
  }
  for (const calc of Object.keys(definition.calculated ?? {})) {
    if (attributes.has(calc) || columns[calc]) throw new Error(`${name}: calculated "${calc}" clashes with a column`);
  }
  for (const attr of definition.download.dependsOn ?? []) {
    known(attr, 'download.dependsOn');
    if (!references[attr]) throw new Error(`${name}: download.dependsOn names "${attr}", which is not a reference`);
  }
  if (definition.file) for (const attr of fileAttributes) known(attr, 'a file entity (F1)');
  if (definition.download.mode === 'FILTERED' && !('filter' in definition.download)) {
    throw new Error(`${name}: download mode FILTERED needs a filter`);
  }
  const base = lowerFirst(name);
  return {
    name,
    definition,
    table,
    tableName: getTableName(table),
    attributes,
    attributeList,
    attributeNames: attributeList.map((a) => a.name),
    queryName: base,
    listQueryName: definition.pluralName ?? `${base}s`,
    isFile: definition.file === true,
  };
}

/** Builds and checks the registry: unique names, known attributes and referenced entities. */
export function createRegistry(definitions: readonly EntityDefinition[]): Registry {
  const names = new Set<string>();
  for (const d of definitions) {
    if (names.has(d.name)) throw new Error(`Entity "${d.name}" is declared twice`);
    names.add(d.name);
  }
  const list = definitions.map((d) => buildModel(d, names));
  const entities = new Map(list.map((m) => [m.name, m]));
  return { entities, list, get: (name) => entities.get(name) };
}

/** The attributes a role set may write on an entity. */
export function writableAttributes(model: EntityModel, roles: readonly string[]): Set<string> {
  const result = new Set<string>();
  for (const role of roles) {
    const attrs = model.definition.access.writable[role];
    if (attrs === 'all') {
      for (const a of model.attributeList) if (a.deviceWritable) result.add(a.name);
    } else if (attrs) {
      for (const a of attrs) if (model.attributes.get(a)?.deviceWritable) result.add(a);
    }
  }
  return result;
}
