import {
  getNamedType,
  isEnumType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

/**
 * Builds the SDK's GraphQL operations from the schema, so that a new entity or attribute on the
 * server reaches the SDK by re-running codegen, with no hand-edited documents.
 */

/** One synced entity as the SDK sees it in the schema. */
export interface SchemaEntity {
  name: string;
  /** The entity's leaf fields (system fields included), in schema order. */
  fields: string[];
  /** The attributes the device may write: the fields of `<Entity>Values`. */
  writable: string[];
  /** The read queries: `get(id)` and the paged `list`, for reading through the server (ONLINE). */
  queries: { get: string; list: string };
}

const SYSTEM_FIELDS = ['id', 'version', 'createdAt', 'changedAt'];

function isSelectableLeaf(field: GraphQLField<unknown, unknown>): boolean {
  return isLeafType(getNamedType(field.type)) && field.args.every((arg) => !isNonNullType(arg.type));
}

function leafFields(type: GraphQLObjectType | GraphQLInterfaceType): string[] {
  return Object.values(type.getFields())
    .filter(isSelectableLeaf)
    .map((field) => field.name);
}

/** The query fields reading one entity: the one returning it by `id`, and the one returning `<Entity>Page`. */
function readQueries(schema: GraphQLSchema, name: string): { get: string; list: string } {
  const fields = Object.values(schema.getQueryType()?.getFields() ?? {});
  const get = fields.find((field) => getNamedType(field.type).name === name && field.args.some((arg) => arg.name === 'id'));
  const list = fields.find((field) => getNamedType(field.type).name === `${name}Page`);
  if (!get || !list) throw new Error(`schema.graphql: the read queries of ${name} are missing`);
  return { get: get.name, list: list.name };
}

function requireObjectType(schema: GraphQLSchema, name: string): GraphQLObjectType {
  const type = schema.getType(name);
  if (!isObjectType(type)) throw new Error(`schema.graphql: expected an object type "${name}"`);
  return type;
}

/** The entities of the `SyncEntity` enum, each with its object type and `<Entity>Values` input. */
export function schemaEntities(schema: GraphQLSchema): SchemaEntity[] {
  const syncEntity = schema.getType('SyncEntity');
  if (!isEnumType(syncEntity)) throw new Error('schema.graphql: enum SyncEntity is missing');
  return syncEntity.getValues().map(({ name }) => {
    const fields = leafFields(requireObjectType(schema, name));
    const values = schema.getType(`${name}Values`);
    if (!values || !('getFields' in values)) throw new Error(`schema.graphql: input ${name}Values is missing`);
    const writable = Object.keys(values.getFields());
    for (const system of SYSTEM_FIELDS) {
      if (!fields.includes(system)) throw new Error(`schema.graphql: ${name} lacks the system field ${system}`);
    }
    return { name, fields, writable, queries: readQueries(schema, name) };
  });
}

/** Selects every leaf field of a type; object fields get the leaf fields of their type. */
function selectAll(schema: GraphQLSchema, type: GraphQLObjectType, objectSelection: (fieldType: string) => string | undefined): string {
  const lines: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type))) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) {
      lines.push(field.name);
      continue;
    }
    const custom = objectSelection(named.name);
    if (custom) {
      lines.push(`${field.name} { ${custom} }`);
    } else if (isObjectType(named)) {
      lines.push(`${field.name} { ${leafFields(named).join(' ')} }`);
    }
  }
  return lines.join('\n  ');
}

/**
 * The operations document the SDK sends: synchronize, the same without changes as the `download`
 * query, and further download pages (one `SyncResultFields` fragment, so every page has the same
 * shape), entity download modes, failure records.
 */
export function syncDocuments(schema: GraphQLSchema): string {
  const entities = schemaEntities(schema);
  const syncObject = schema.getType('SyncObject');
  if (!isInterfaceType(syncObject)) throw new Error('schema.graphql: interface SyncObject is missing');
  const failureType = requireObjectType(schema, 'SynchronizationFailure');
  const resultType = requireObjectType(schema, 'SyncResult');
  const entityInfoType = requireObjectType(schema, 'SyncEntityInfo');
  const entityFragments = entities
    .map((entity) => `fragment ${entity.name}Fields on ${entity.name} {\n  ${entity.fields.join('\n  ')}\n}`)
    .join('\n\n');
  const upserted = `__typename ${entities.map((entity) => `...${entity.name}Fields`).join(' ')}`;
  const resultSelection = selectAll(schema, resultType, (name) =>
    name === 'SyncObject' ? upserted : name === 'SynchronizationFailure' ? '...SynchronizationFailureFields' : undefined,
  );
  return `# Generated by codegen.ts from schema.graphql. Do not edit.

${entityFragments}

fragment SynchronizationFailureFields on SynchronizationFailure {
  ${leafFields(failureType).join('\n  ')}
}

fragment SyncResultFields on SyncResult {
  ${resultSelection}
}

mutation Synchronize($input: ChangeSet!, $selection: [ObjectRef!]) {
  synchronize(input: $input, selection: $selection) {
    ...SyncResultFields
  }
}

query Download($input: DownloadRequest!, $selection: [ObjectRef!]) {
  download(input: $input, selection: $selection) {
    ...SyncResultFields
  }
}

query DownloadPage($cursor: String!) {
  downloadPage(cursor: $cursor) {
    ...SyncResultFields
  }
}

query SyncEntities {
  syncEntities {
    ${leafFields(entityInfoType).join('\n    ')}
  }
}

query SynchronizationFailures($entity: SyncEntity, $includeResolved: Boolean, $first: Int, $offset: Int) {
  synchronizationFailures(entity: $entity, includeResolved: $includeResolved, first: $first, offset: $offset) {
    ...SynchronizationFailureFields
  }
}

mutation ResolveSynchronizationFailure($id: ID!) {
  resolveSynchronizationFailure(id: $id) {
    ...SynchronizationFailureFields
  }
}
`;
}
