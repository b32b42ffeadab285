import type { EntityModel, Registry, AttributeModel } from '../registry/registry.ts';
import type { ScalarKind } from '../registry/define-entity.ts';
import { getObject, listObjects } from '../sync/read.ts';
import type { Row } from '../sync/types.ts';
import type { Builder } from './builder.ts';
import { fieldReaders, systemFieldTypes, tagObject, type EntityObject } from './entity-fields.ts';
import { createObjectLists, type ObjectLists } from './object-lists.ts';

/**
 * Everything GraphQL knows about an entity, generated from its declaration: the object type
 * (implementing SyncObject), the `<Entity>Values` and `<Entity>Change` inputs, and the read
 * queries `<entity>(id)` and `<entities>(filter, orderBy, first, after)`.
 */

/** The clock of field resolvers: each calculated value sees its own `now` (download lists share one). */
const currentTime = () => new Date();

/** GraphQL type refs, by name, shared by the generated types. Pothos refs are opaque here. */
type TypeRef = never;
export interface EntityRefs {
  syncObject: TypeRef;
  syncEntity: TypeRef;
  changeInputs: Map<string, TypeRef>;
  /** Resolves lists of synced objects (`object-lists.ts`). */
  lists: ObjectLists;
}

/**
 * Attributes ending in `Id` are identifiers (references, user ids) whatever their column type;
 * everything else follows the column.
 */
function scalarOf(attribute: AttributeModel): ScalarKind | null {
  if ('enumName' in attribute.type) return null;
  if (attribute.type.scalar === 'String' && /Id$/.test(attribute.name)) return 'ID';
  return attribute.type.scalar;
}

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string | null | undefined): number {
  if (!cursor) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : 0;
}

/** Adds the types and queries of every entity; returns the refs the sync types need. */
export function addEntityTypes(builder: Builder, registry: Registry): EntityRefs {
  const lists = createObjectLists(registry);
  const enums = new Map<string, TypeRef>();
  const typeOf = (attribute: AttributeModel): TypeRef => {
    const scalar = scalarOf(attribute);
    if (scalar) return scalar as TypeRef;
    const { enumName, values } = attribute.type as { enumName: string; values: readonly string[] };
    const known = enums.get(enumName);
    if (known) return known;
    const ref = builder.enumType(enumName, { values: [...values] as string[] }) as TypeRef;
    enums.set(enumName, ref);
    return ref;
  };

  const syncEntity = builder.enumType('SyncEntity', {
    description: 'One value per synced entity.',
    values: registry.list.map((m) => m.name),
  }) as TypeRef;

  const syncObject = builder.interfaceRef<EntityObject>('SyncObject').implement({
    description: 'The system fields every synced object has; the server sets version, createdAt and changedAt.',
    resolveType: (object) => object.__entity,
    fields: (t) =>
      Object.fromEntries(
        systemFieldTypes.map(([name, type]) => [name, t.field({ type: type as TypeRef, resolve: (o: EntityObject) => o[name] as never })]),
      ),
  }) as TypeRef;

  const changeOp = builder.enumType('ChangeOp', { values: ['CREATE', 'UPDATE', 'DELETE'] as const });
  const sortDirection = builder.enumType('SortDirection', { values: ['ASC', 'DESC'] as const });

  const changeInputs = new Map<string, TypeRef>();
  for (const model of registry.list) {
    addObjectType(builder, model, syncObject, typeOf);
    changeInputs.set(model.name, addChangeInput(builder, model, typeOf, changeOp as TypeRef));
    addQueries(builder, model, typeOf, sortDirection as TypeRef, lists);
  }
  return { syncObject, syncEntity, changeInputs, lists };
}

function addObjectType(builder: Builder, model: EntityModel, syncObject: TypeRef, typeOf: (a: AttributeModel) => TypeRef) {
  const readers = fieldReaders(model);
  const read = (name: string) => {
    const reader = readers.get(name)!;
    return (o: EntityObject) => reader(o, currentTime) as never;
  };
  builder.objectRef<EntityObject>(model.name).implement({
    description: model.definition.description,
    interfaces: [syncObject],
    isTypeOf: (object) => (object as EntityObject).__entity === model.name,
    fields: (t) => {
      const fields: Record<string, unknown> = {};
      for (const [name, type] of systemFieldTypes) {
        fields[name] = t.field({ type: type as TypeRef, resolve: read(name) });
      }
      for (const attribute of model.attributeList) {
        fields[attribute.name] = t.field({ type: typeOf(attribute), nullable: !attribute.required, resolve: read(attribute.name) });
      }
      for (const [name, calc] of Object.entries(model.definition.calculated ?? {})) {
        fields[name] = t.field({ type: calc.type as TypeRef, nullable: calc.nullable ?? false, description: calc.description, resolve: read(name) });
      }
      return fields as never;
    },
  });
}

function addChangeInput(builder: Builder, model: EntityModel, typeOf: (a: AttributeModel) => TypeRef, changeOp: TypeRef): TypeRef {
  const writable = model.attributeList.filter((a) => a.deviceWritable);
  const values = builder.inputType(`${model.name}Values`, {
    description: `Attributes of ${model.name} a device may send. Absent: unchanged; null: cleared.`,
    fields: (t) => Object.fromEntries(writable.map((a) => [a.name, t.field({ type: typeOf(a), required: false })])) as never,
  }) as TypeRef;
  return builder.inputType(`${model.name}Change`, {
    description: `One change to a ${model.name}.`,
    fields: (t) => ({
      id: t.field({ type: 'ID', required: true }),
      op: t.field({ type: changeOp, required: true }),
      baseVersion: t.field({ type: 'Int', required: false, description: 'The version the device last received; null for CREATE.' }),
      values: t.field({ type: values, required: false, description: 'CREATE: the values; UPDATE: only the changed attributes.' }),
      base: t.field({ type: values, required: false, description: "UPDATE: the device's last-synced values of the changed attributes." }),
    }),
  }) as TypeRef;
}

function addQueries(builder: Builder, model: EntityModel, typeOf: (a: AttributeModel) => TypeRef, sortDirection: TypeRef, lists: ObjectLists) {
  const objectType = model.name as TypeRef;
  const filterable = model.attributeList.filter((a) => !('scalar' in a.type) || a.type.scalar !== 'JSON');
  const filter = builder.inputType(`${model.name}Filter`, {
    description: `Equality filters on ${model.name}; a null value matches objects where the attribute is null.`,
    fields: (t) =>
      Object.fromEntries([
        ['id', t.field({ type: 'ID', required: false })],
        ...filterable.map((a) => [a.name, t.field({ type: typeOf(a), required: false })]),
      ]) as never,
  }) as TypeRef;
  const sortField = builder.enumType(`${model.name}SortField`, {
    values: ['id', 'version', 'createdAt', 'changedAt', ...filterable.map((a) => a.name)],
  }) as TypeRef;
  const page = builder.objectRef<{ rows: Row[]; totalCount: number; next: number | null }>(`${model.name}Page`).implement({
    fields: (t) => ({
      items: t.field({
        type: [objectType],
        resolve: (p, _, context, info) => lists.resolve(p.rows.map((row) => ({ entity: model.name, row })), context, info) as never,
      }),
      totalCount: t.int({ resolve: (p) => p.totalCount }),
      nextCursor: t.string({ nullable: true, resolve: (p) => (p.next === null ? null : encodeCursor(p.next)) }),
    }),
  });

  builder.queryField(model.queryName, (t) =>
    t.field({
      type: objectType,
      nullable: true,
      description: `One ${model.name} by id, if you may read it.`,
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_, { id }, { viewer, services }) => {
        const row = await getObject(services.db, model, viewer, String(id));
        return (row ? tagObject(model.name, row) : null) as never;
      },
    }),
  );
  builder.queryField(model.listQueryName, (t) =>
    t.field({
      type: page,
      description: `A page of the ${model.name} objects you may read.`,
      args: {
        filter: t.arg({ type: filter, required: false }),
        orderBy: t.arg({ type: sortField, required: false, defaultValue: 'id' as never }),
        direction: t.arg({ type: sortDirection, required: false, defaultValue: 'ASC' as never }),
        first: t.arg.int({ required: false, defaultValue: 100 }),
        after: t.arg.string({ required: false, description: 'The nextCursor of the previous page.' }),
      },
      resolve: async (_, args, { viewer, services }) => {
        const first = Math.max(0, Math.min(args.first ?? 100, services.limits.maxPageSize));
        const offset = decodeCursor(args.after);
        const result = await listObjects(services.db, model, viewer, {
          filter: (args.filter ?? {}) as Row,
          orderBy: String(args.orderBy ?? 'id'),
          descending: args.direction === 'DESC',
          first,
          offset,
        });
        const next = offset + result.rows.length < result.totalCount && result.rows.length > 0 ? offset + result.rows.length : null;
        return { rows: result.rows, totalCount: result.totalCount, next };
      },
    }),
  );
}
