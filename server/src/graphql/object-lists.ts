import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  typeFromAST,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type InlineFragmentNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from '../registry/registry.ts';
import type { SyncObjectData } from '../sync/types.ts';
import { fieldReaders, tagObject, type FieldReader } from './entity-fields.ts';

/**
 * Lists of synced objects (a download's `upserted`, up to a page of 10 000 objects; the `items`
 * of the list queries) and of other records of which a response holds many (an upload's
 * `outcomes`, one per change; a download's `deleted` keys) without graphql-js' per-field
 * completion, which for 10 000 outcomes cost ~30 ms and ~45 MB of garbage. The selection set is compiled once per document and object
 * type into a plan (response key, reader, scalar serializer), as graphql-js would collect it:
 * aliases, fragments, type conditions, `@skip`/`@include`, `__typename`. Each object then costs
 * one plain object with its serialized values. The resolver returns an empty list to graphql-js
 * and the plugin puts the serialized list in its place when execution is done: the response is
 * the same as graphql-js would make. An error (a calculated attribute throwing, a null in a
 * non-null field) fails the list field, and is masked at the one boundary like any other.
 * Where a plan cannot be made (a field without a reader, a calculated attribute answering a
 * promise, a context the plugin did not see), the list goes through graphql-js as before.
 */

/** One field of a plan: where it goes in the object, and how its value is made. */
interface FieldPlan {
  key: string;
  value(row: Record<string, unknown>, now: () => Date): unknown;
  /** Its reader may answer a promise (a calculated attribute). */
  mayBeAsync: boolean;
}

/** How the selected fields of one object type are made, in response order. */
export type Plan = FieldPlan[];

/** Serialized lists waiting for the end of an execution, by context; present once the plugin saw it. */
const waiting = new WeakMap<object, { path: (string | number)[]; list: unknown[] }[]>();

/** The plugin that puts the serialized lists into the execution results. */
export const objectListsPlugin: Plugin = {
  onExecute({ args }) {
    const context = args.contextValue as object;
    waiting.set(context, []);
    return {
      onExecuteDone({ result }) {
        const lists = waiting.get(context) ?? [];
        waiting.delete(context);
        if (!('data' in result)) return;
        for (const { path, list } of lists) place(result.data as Record<string | number, unknown> | null | undefined, path, list);
      },
    };
  },
};

function place(data: Record<string | number, unknown> | null | undefined, path: (string | number)[], list: unknown[]): void {
  let at = data;
  for (const key of path.slice(0, -1)) {
    // An error nulled an enclosing field: the list is not part of the response.
    if (at == null) return;
    at = at[key] as Record<string | number, unknown> | null | undefined;
  }
  if (at != null) at[path.at(-1)!] = list;
}

function pathOf(info: GraphQLResolveInfo): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: GraphQLResolveInfo['path'] | undefined = info.path; at; at = at.prev) path.unshift(at.key);
  return path;
}

function includes(node: FieldNode | InlineFragmentNode | { directives?: FieldNode['directives'] }, variables: GraphQLResolveInfo['variableValues']): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node as FieldNode, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node as FieldNode, variables)?.if !== false;
}

/** What collecting a selection set reads of an execution: a resolver's `info`, or the sync lane's document. */
export type PlanScope = Pick<GraphQLResolveInfo, 'schema' | 'fragments' | 'variableValues'>;

function conditionMatches(info: PlanScope, fragment: InlineFragmentNode | FragmentDefinitionNode, type: GraphQLObjectType): boolean {
  if (!fragment.typeCondition) return true;
  const condition = typeFromAST(info.schema, fragment.typeCondition);
  if (condition === type) return true;
  return condition !== undefined && isAbstractType(condition) && info.schema.isSubType(condition, type);
}

/** graphql-js' field collection for one object type: response key → its field nodes, in order. */
export function collect(info: PlanScope, type: GraphQLObjectType, selectionSet: SelectionSetNode, fields: Map<string, FieldNode[]>, visited: Set<string>): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!includes(selection, info.variableValues)) continue;
      const key = selection.alias?.value ?? selection.name.value;
      const nodes = fields.get(key);
      if (nodes) nodes.push(selection);
      else fields.set(key, [selection]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (includes(selection, info.variableValues) && conditionMatches(info, selection, type)) collect(info, type, selection.selectionSet, fields, visited);
    } else {
      const name = selection.name.value;
      if (visited.has(name) || !includes(selection, info.variableValues)) continue;
      visited.add(name);
      const fragment = info.fragments[name];
      if (fragment && conditionMatches(info, fragment, type)) collect(info, type, fragment.selectionSet, fields, visited);
    }
  }
}

/** A leaf value as graphql-js completes it. */
export function completer(type: GraphQLObjectType, name: string, read: FieldReader, leaf: GraphQLLeafType, nonNull: boolean): FieldPlan['value'] {
  return (row, now) => {
    const value = read(row, now);
    if (value instanceof Error) throw value;
    // A calculated attribute's promise, as it is: `serializeRows` then leaves the list to graphql-js.
    if (typeof (value as PromiseLike<unknown> | null)?.then === 'function') return value;
    if (value == null) {
      if (nonNull) throw new Error(`Cannot return null for non-nullable field ${type.name}.${name}.`);
      return null;
    }
    const serialized = leaf.serialize(value);
    if (serialized == null) throw new Error(`Expected \`${leaf.name}.serialize(${String(value)})\` to return non-nullable value, returned: ${String(serialized)}`);
    return serialized;
  };
}

/** Whether any selection under the field carries a directive (its plan then depends on the variables). */
function hasDirectives(info: GraphQLResolveInfo): boolean {
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((s) => {
      if (s.directives?.length) return true;
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        if (seen.has(s.name.value)) return false;
        seen.add(s.name.value);
        return walk(info.fragments[s.name.value]?.selectionSet);
      }
      return s.kind === Kind.INLINE_FRAGMENT ? walk(s.selectionSet) : false;
    });
  return info.fieldNodes.some((node) => walk(node.selectionSet));
}

/**
 * The plan of an object type's selection (the sub-selections of `fieldNodes`), its fields read by
 * `typeReaders`; null when some selected field has no reader or is not a leaf.
 */
export function compilePlan(
  scope: PlanScope,
  fieldNodes: readonly FieldNode[],
  type: GraphQLObjectType,
  typeReaders: ReadonlyMap<string, FieldReader> | undefined,
  isCalculated: (name: string) => boolean = () => false,
): Plan | null {
  const fields = new Map<string, FieldNode[]>();
  const visited = new Set<string>();
  for (const node of fieldNodes) if (node.selectionSet) collect(scope, type, node.selectionSet, fields, visited);
  const plan: Plan = [];
  for (const [key, [node]] of fields) {
    const name = node!.name.value;
    if (name === '__typename') {
      plan.push({ key, value: () => type.name, mayBeAsync: false });
      continue;
    }
    const field = type.getFields()[name];
    const read = typeReaders?.get(name);
    if (!field || !read) return null;
    const nonNull = isNonNullType(field.type);
    const leaf = nonNull ? (field.type as { ofType: unknown }).ofType : field.type;
    if (!isLeafType(leaf)) return null;
    plan.push({ key, value: completer(type, name, read, leaf, nonNull), mayBeAsync: isCalculated(name) });
  }
  return plan;
}

/**
 * The serialized items (the `count` rows, `planAt` the plan of each), or null when graphql-js
 * must complete them (a calculated attribute answered a promise).
 */
export function serializeRows(count: number, planAt: (i: number) => Plan, rowAt: (i: number) => Record<string, unknown>): unknown[] | null {
  // One time for the whole list, as calculated attributes see it.
  const at = new Date();
  const now = () => at;
  const list = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const row = rowAt(i);
    const item: Record<string, unknown> = {};
    for (const field of planAt(i)) {
      const value = field.value(row, now);
      if (field.mayBeAsync && typeof (value as PromiseLike<unknown> | null)?.then === 'function') return null;
      item[field.key] = value;
    }
    list[i] = item;
  }
  return list;
}

/** Serializes lists of synced objects of a registry's entities, and lists of other records. */
export interface ObjectLists {
  /** Resolves a list field of synced objects: serialized by plan where it can, else as before. */
  resolve(objects: readonly SyncObjectData[], context: object, info: GraphQLResolveInfo): unknown[];
  /**
   * Resolves a list field of records of the object type `type` (a sync's upload outcomes, its
   * deleted keys) whose fields `readers` read, as their field resolvers do: serialized by plan
   * where it can, else handed to graphql-js as they are.
   */
  resolveRecords<T extends object>(type: string, records: readonly T[], readers: RecordReaders<T>, context: object, info: GraphQLResolveInfo): unknown[];
}

/** How each field of a record type is read; its field resolvers must read them the same way. */
export type RecordReaders<T> = ReadonlyMap<string, (record: T) => unknown>;

export function createObjectLists(registry: Registry): ObjectLists {
  const readers = new Map(registry.list.map((model) => [model.name, fieldReaders(model)]));
  /** Plans by the list field's node (a cached document's), then by object type. */
  const plans = new WeakMap<FieldNode, Map<string, Plan | null>>();

  /** The plan of the list field for one object type (`typeReaders` read its fields), cached per document. */
  function planFor(info: GraphQLResolveInfo, typeName: string, typeReaders: ReadonlyMap<string, FieldReader> | undefined): Plan | null {
    const type = info.schema.getType(typeName);
    if (!isObjectType(type)) return null;
    const cacheable = info.fieldNodes.length === 1 && !hasDirectives(info);
    const byType = cacheable ? (plans.get(info.fieldNodes[0]!) ?? new Map<string, Plan | null>()) : new Map<string, Plan | null>();
    if (cacheable) plans.set(info.fieldNodes[0]!, byType);
    if (!byType.has(typeName)) byType.set(typeName, compilePlan(info, info.fieldNodes, type, typeReaders, (name) => !!registry.get(typeName)?.definition.calculated?.[name]));
    return byType.get(typeName)!;
  }

  /** The synced objects serialized, or null when graphql-js must complete them (no plan, a promise). */
  function serializeObjects(objects: readonly SyncObjectData[], info: GraphQLResolveInfo): unknown[] | null {
    const byEntity = new Map<string, Plan>();
    for (const { entity } of objects) {
      if (byEntity.has(entity)) continue;
      const plan = planFor(info, entity, readers.get(entity));
      if (!plan) return null;
      byEntity.set(entity, plan);
    }
    return serializeRows(objects.length, (i) => byEntity.get(objects[i]!.entity)!, (i) => objects[i]!.row);
  }

  /** Puts a serialized list in place once the execution is done; what the resolver returns meanwhile. */
  function deferred(list: unknown[] | null, context: object, info: GraphQLResolveInfo): unknown[] | null {
    const lists = waiting.get(context);
    if (!lists || !list) return null;
    lists.push({ path: pathOf(info), list });
    return [];
  }

  return {
    resolve(objects, context, info) {
      const list = waiting.has(context) && objects.length > 0 ? serializeObjects(objects, info) : null;
      return deferred(list, context, info) ?? objects.map((o) => tagObject(o.entity, o.row));
    },
    resolveRecords(type, records, typeReaders, context, info) {
      // A record reader is a field reader that needs no clock.
      const plan = waiting.has(context) && records.length > 0 ? planFor(info, type, typeReaders as unknown as ReadonlyMap<string, FieldReader>) : null;
      const list = plan ? serializeRows(records.length, () => plan, (i) => records[i] as Record<string, unknown>) : null;
      return deferred(list, context, info) ?? (records as unknown[]);
    },
  };
}
