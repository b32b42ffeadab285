import {
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  typeFromAST,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { Registry } from '../registry/registry.ts';
import type { SyncResultData } from '../sync/types.ts';
import type { GraphQLContext } from './builder.ts';
import { fieldReaders, type FieldReader } from './entity-fields.ts';
import { collect, compilePlan, completer, serializeRows, type Plan, type PlanScope } from './object-lists.ts';
import { fileUrlReaders, keyReaders, syncQueries, type SyncQueryName } from './sync-types.ts';

/**
 * The sync lane: the SDK's `download` and `downloadPage` queries (every idle and selective sync,
 * every further download page) run from their document straight to their result, without
 * graphql-js' execution. For a one-object selective sync, graphql-js and the envelop hooks around
 * it (variable coercion, the execution context, completing the `SyncResult` field by field, the
 * result hooks) cost the server about as much CPU as the sync itself.
 *
 * A document enters the lane only after the regular path has parsed and validated it (the same
 * rules), and only when the lane understands all of it: one root field, `download` or
 * `downloadPage`, whose arguments are variables; a selection of `SyncResult`'s fields, through
 * fragments or not, without directives. Its variables are coerced as graphql-js coerces them and
 * its result is what graphql-js would make of the same data: the same keys in the same order,
 * values serialized by the same scalars. Anything the lane does not handle exactly (a variable
 * graphql-js would refuse, an error thrown, a calculated attribute answering a promise, a list
 * the lane has no plan for) makes it give up, and the request runs on the regular path, which
 * answers it as always. Both queries write nothing, so running one again changes nothing.
 */

/** The lane gave up on a request: the regular path runs it. */
class GiveUp extends Error {}

const giveUp = (): never => {
  throw new GiveUp();
};

/** Scalar fields of records read no clock. */
const noClock = (): Date => giveUp();

/** What a compiled query runs, with which arguments, and how its result is serialized. */
interface LaneOperation {
  field: SyncQueryName;
  responseKey: string;
  variables: readonly VariableDefinitionNode[];
  /** Argument name → the variable it is given. */
  args: ReadonlyMap<string, string>;
  serialize(result: SyncResultData, context: GraphQLContext): unknown;
}

/** A query the lane compiled. */
export interface LaneQuery {
  /** Its result; null when the lane gave up (the regular path must run it). */
  run(variables: Record<string, unknown> | null | undefined, context: GraphQLContext): Promise<ExecutionResult | null>;
}

/** The documents the lane keeps compiled: at most this many, so that clients cannot grow it without bound. */
const MAX_DOCUMENTS = 64;

export interface SyncLane {
  /** The compiled query of this document and operation name, when the lane has one. */
  find(query: string, operationName: string | null | undefined): LaneQuery | undefined;
  /** Told of a query the regular path parsed and validated: compiles it for the lane, if it can. */
  learn(query: string, operationName: string | null | undefined, document: DocumentNode, operation: OperationDefinitionNode): void;
}

export function createSyncLane(schema: GraphQLSchema, registry: Registry): SyncLane {
  /** Compiled queries by document, then by operation name ('' for none). */
  const known = new Map<string, Map<string, LaneQuery>>();
  let count = 0;
  const entityReaders = new Map(registry.list.map((model) => [model.name, fieldReaders(model)]));
  const isCalculated = (entity: string) => (name: string) => !!registry.get(entity)?.definition.calculated?.[name];

  function laneQuery(operation: LaneOperation): LaneQuery {
    return {
      async run(variables, context) {
        try {
          const args = argumentsOf(schema, operation, variables ?? {});
          const result = await syncQueries[operation.field](args as never, context);
          return { data: { [operation.responseKey]: operation.serialize(result, context) } };
        } catch {
          return null;
        }
      },
    };
  }

  function compile(document: DocumentNode, operation: OperationDefinitionNode): LaneOperation | null {
    if (operation.operation !== 'query' || operation.directives?.length) return null;
    const [root, ...rest] = operation.selectionSet.selections;
    if (!root || rest.length > 0 || root.kind !== Kind.FIELD || root.directives?.length) return null;
    const field = root.name.value;
    if (field !== 'download' && field !== 'downloadPage') return null;
    if (operation.variableDefinitions?.some((definition) => definition.defaultValue || definition.directives?.length)) return null;
    const args = new Map<string, string>();
    for (const argument of root.arguments ?? []) {
      if (argument.value.kind !== Kind.VARIABLE) return null;
      args.set(argument.name.value, argument.value.name.value);
    }
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
    const scope: PlanScope = { schema, fragments, variableValues: {} };
    if (hasDirectives(root.selectionSet, fragments)) return null;
    const serialize = compileSyncResult(scope, [root]);
    return serialize && { field, responseKey: root.alias?.value ?? field, variables: operation.variableDefinitions ?? [], args, serialize };
  }

  /** The serializer of a `SyncResult` selection; null when some part of it has no plan. */
  function compileSyncResult(scope: PlanScope, nodes: readonly FieldNode[]): LaneOperation['serialize'] | null {
    const type = schema.getType('SyncResult') as GraphQLObjectType;
    const fields = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    for (const node of nodes) if (node.selectionSet) collect(scope, type, node.selectionSet, fields, visited);
    const parts: { key: string; value(result: SyncResultData, context: GraphQLContext): unknown }[] = [];
    for (const [key, fieldNodes] of fields) {
      const name = fieldNodes[0]!.name.value;
      if (name === '__typename') {
        parts.push({ key, value: () => type.name });
        continue;
      }
      const field = type.getFields()[name];
      if (!field) return null;
      const fieldType = isNonNullType(field.type) ? field.type.ofType : field.type;
      if (isLeafType(fieldType)) {
        // The scalar fields of SyncResult expose the property of the same name.
        const complete = completer(type, name, (result) => result[name], fieldType, isNonNullType(field.type));
        parts.push({ key, value: (result) => complete(result as unknown as Record<string, unknown>, noClock) });
        continue;
      }
      const list = compileList(scope, name, fieldNodes);
      if (!list) return null;
      parts.push({ key, value: list });
    }
    return (result, context) => {
      const out: Record<string, unknown> = {};
      for (const part of parts) out[part.key] = part.value(result, context);
      return out;
    };
  }

  /** A list field of `SyncResult`, serialized by plan. */
  function compileList(scope: PlanScope, name: string, nodes: readonly FieldNode[]): ((result: SyncResultData, context: GraphQLContext) => unknown[]) | null {
    const planOf = (typeName: string, readers: ReadonlyMap<string, FieldReader> | undefined, calculated?: (name: string) => boolean) => {
      const type = schema.getType(typeName);
      return isObjectType(type) ? compilePlan(scope, nodes, type, readers, calculated) : null;
    };
    const done = (list: unknown[] | null) => list ?? giveUp();
    switch (name) {
      case 'upserted': {
        const plans = new Map<string, Plan>();
        for (const model of registry.list) {
          const plan = planOf(model.name, entityReaders.get(model.name), isCalculated(model.name));
          if (!plan) return null;
          plans.set(model.name, plan);
        }
        return ({ upserted }) => done(serializeRows(upserted.length, (i) => plans.get(upserted[i]!.entity) ?? giveUp(), (i) => upserted[i]!.row));
      }
      case 'deleted': {
        const plan = planOf('ObjectKey', asFieldReaders(keyReaders));
        return plan && (({ deleted }) => done(serializeRows(deleted.length, () => plan, (i) => deleted[i] as unknown as Record<string, unknown>)));
      }
      case 'files': {
        // `url` is made absolute with the request's base URL: the plan is made per base URL,
        // the last one kept (a server is mostly asked at one origin).
        const planAt = (baseUrl: string) => planOf('FileUrl', asFieldReaders(fileUrlReaders(baseUrl)));
        let last = { baseUrl: '', plan: planAt('') };
        if (!last.plan) return null;
        return ({ files }, { baseUrl }) => {
          if (files.length === 0) return [];
          if (last.baseUrl !== baseUrl) last = { baseUrl, plan: planAt(baseUrl) };
          const plan = last.plan ?? giveUp();
          return done(serializeRows(files.length, () => plan, (i) => files[i] as unknown as Record<string, unknown>));
        };
      }
      case 'failures':
      case 'outcomes':
        // Neither query uploads anything: both lists are always empty.
        return (result) => (result[name].length === 0 ? [] : giveUp());
      default:
        return null;
    }
  }

  return {
    find: (query, operationName) => known.get(query)?.get(operationName ?? ''),
    learn(query, operationName, document, operation) {
      const name = operationName ?? '';
      if (count >= MAX_DOCUMENTS || known.get(query)?.has(name)) return;
      // Documents the lane cannot run are not kept: most are told apart by their root field.
      let compiled: LaneOperation | null;
      try {
        compiled = compile(document, operation);
      } catch {
        compiled = null;
      }
      if (!compiled) return;
      const byName = known.get(query) ?? new Map<string, LaneQuery>();
      byName.set(name, laneQuery(compiled));
      known.set(query, byName);
      count++;
    },
  };
}

/** Record readers (`sync-types.ts`) as the field readers plans take: they read no clock. */
function asFieldReaders<T>(readers: ReadonlyMap<string, (record: T) => unknown>): ReadonlyMap<string, FieldReader> {
  return readers as unknown as ReadonlyMap<string, FieldReader>;
}

/** Whether any selection under the set carries a directive. */
function hasDirectives(set: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>, seen = new Set<string>()): boolean {
  return !!set?.selections.some((selection) => {
    if (selection.directives?.length) return true;
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      if (seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return hasDirectives(fragments[selection.name.value]?.selectionSet, fragments, seen);
    }
    return hasDirectives(selection.selectionSet, fragments, seen);
  });
}

/**
 * The root field's arguments as graphql-js would give them to its resolver: each variable coerced
 * to its declared type, a variable not sent left out. Gives up wherever graphql-js would report
 * an error (or apply a default, which the lane does not compile).
 */
function argumentsOf(schema: GraphQLSchema, operation: LaneOperation, raw: Record<string, unknown>): Record<string, unknown> {
  const coerced: Record<string, unknown> = {};
  for (const definition of operation.variables) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (!type) giveUp();
    if (!Object.hasOwn(raw, name)) {
      if (isNonNullType(type)) giveUp();
      continue;
    }
    coerced[name] = coerceInput(raw[name], type!);
  }
  const field = schema.getQueryType()!.getFields()[operation.field]!;
  const args: Record<string, unknown> = {};
  for (const argument of field.args) {
    const variable = operation.args.get(argument.name);
    if (variable === undefined || !Object.hasOwn(coerced, variable)) {
      if (argument.defaultValue !== undefined || isNonNullType(argument.type)) giveUp();
      continue;
    }
    if (coerced[variable] === null && isNonNullType(argument.type)) giveUp();
    args[argument.name] = coerced[variable];
  }
  return args;
}

/** graphql-js' `coerceInputValue` for values it accepts; gives up on any it would refuse. */
function coerceInput(value: unknown, type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return value === null || value === undefined ? giveUp() : coerceInput(value, type.ofType);
  if (value === null) return null;
  if (isListType(type)) {
    const item = type.ofType;
    return Array.isArray(value) ? value.map((element) => coerceInput(element, item)) : [coerceInput(value, item)];
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value) || type.isOneOf) return giveUp();
    const fields = type.getFields();
    const input = value as Record<string, unknown>;
    for (const key of Object.keys(input)) if (!fields[key]) giveUp();
    const coerced: Record<string, unknown> = {};
    for (const field of Object.values(fields)) {
      const fieldValue = input[field.name];
      if (fieldValue === undefined) {
        if (field.defaultValue !== undefined || isNonNullType(field.type)) giveUp();
        continue;
      }
      coerced[field.name] = coerceInput(fieldValue, field.type);
    }
    return coerced;
  }
  let parsed: unknown;
  try {
    parsed = type.parseValue(value);
  } catch {
    return giveUp();
  }
  return parsed === undefined ? giveUp() : parsed;
}
