import {
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Registry } from '../registry/registry.ts';
import type { SyncResultData } from '../sync/types.ts';
import type { GraphQLContext } from './builder.ts';
import { fieldReaders, type FieldReader } from './entity-fields.ts';
import { collect, compilePlan, completer, serializeRows, type Plan, type PlanScope, type RecordReaders } from './object-lists.ts';
import { failureReaders, fileUrlReaders, keyReaders, outcomeReaders, syncOperations, type SyncOperationName } from './sync-types.ts';
import { compileArguments, CoercionRefused, type ArgumentCoercion } from './variable-coercion.ts';

/**
 * The sync lane: the SDK's sync operations (the `synchronize` mutation of every upload, the
 * `download` query of every idle and selective sync, `downloadPage` for every further page) run
 * from their document straight to their result, without graphql-js' execution. For a one-object
 * selective sync, graphql-js and the envelop hooks around it (variable coercion, the execution
 * context, completing the `SyncResult` field by field, the result hooks) cost the server about as
 * much CPU as the sync itself; for an upload of 10 000 changes, coercing its variables alone was
 * the largest single cost.
 *
 * A document enters the lane only after the regular path has parsed and validated it (the same
 * rules), and only when the lane understands all of it: one root field, one of those three, whose
 * arguments are variables; a selection of `SyncResult`'s fields, through fragments or not, without
 * directives. Its variables are coerced as graphql-js coerces them (`variable-coercion.ts`) and
 * its result is what graphql-js would make of the same data: the same keys in the same order,
 * values serialized by the same scalars.
 *
 * Before the operation runs, anything the lane does not handle exactly (a variable graphql-js
 * would refuse) makes it give up, and the regular path runs the request as always. Once it has
 * run, the lane never runs it again: when it cannot serialize the result exactly (an error
 * thrown, a calculated attribute answering a promise), it hands the outcome over, and the regular
 * path completes it with graphql-js, its resolver answering that outcome (`laneOutcome`).
 */

/** The lane cannot serialize a result exactly: graphql-js completes it. */
class GiveUp extends Error {}

const giveUp = (): never => {
  throw new GiveUp();
};

/** Scalar fields of records read no clock. */
const noClock = (): Date => giveUp();

/** What a compiled operation runs, with which arguments, and how its result is serialized. */
interface CompiledOperation {
  kind: LaneOperation['kind'];
  field: SyncOperationName;
  responseKey: string;
  coerce: ArgumentCoercion;
  serialize(result: SyncResultData, context: GraphQLContext): unknown;
}

/** An operation the lane ran but could not serialize: graphql-js completes its outcome. */
export class LaneHandOver {
  constructor(
    /** The operation's outcome, as its resolver answers it: the result, or the error it failed with. */
    readonly outcome: () => Promise<SyncResultData>,
  ) {}
}

/** An operation the lane compiled. */
export interface LaneOperation {
  /** A mutation may only be run for a POST (yoga refuses it by GET). */
  kind: 'query' | 'mutation';
  /**
   * Its result; a hand-over when it ran and graphql-js must complete it; null when the lane gave
   * up before running it (the regular path must run it).
   */
  run(variables: Record<string, unknown> | null | undefined, context: GraphQLContext): Promise<ExecutionResult | LaneHandOver | null>;
}

/** The root fields the lane runs, by operation type. */
const LANE_FIELDS: Readonly<Record<string, readonly string[]>> = { mutation: ['synchronize'], query: ['download', 'downloadPage'] };

/** The documents the lane keeps compiled: at most this many, so that clients cannot grow it without bound. */
const MAX_DOCUMENTS = 64;

export interface SyncLane {
  /** The compiled query of this document and operation name, when the lane has one. */
  find(query: string, operationName: string | null | undefined): LaneOperation | undefined;
  /** Told of a query the regular path parsed and validated: compiles it for the lane, if it can. */
  learn(query: string, operationName: string | null | undefined, document: DocumentNode, operation: OperationDefinitionNode): void;
}

export function createSyncLane(schema: GraphQLSchema, registry: Registry): SyncLane {
  /** Compiled queries by document, then by operation name ('' for none). */
  const known = new Map<string, Map<string, LaneOperation>>();
  let count = 0;
  const entityReaders = new Map(registry.list.map((model) => [model.name, fieldReaders(model)]));
  const isCalculated = (entity: string) => (name: string) => !!registry.get(entity)?.definition.calculated?.[name];

  function laneOperation(operation: CompiledOperation): LaneOperation {
    return {
      kind: operation.kind,
      async run(variables, context) {
        let args: Record<string, unknown>;
        try {
          args = operation.coerce(variables ?? {});
        } catch (error) {
          if (error instanceof CoercionRefused) return null;
          throw error;
        }
        let result: SyncResultData;
        try {
          result = await syncOperations[operation.field](args as never, context);
        } catch (error) {
          return new LaneHandOver(() => Promise.reject(error));
        }
        try {
          return { data: { [operation.responseKey]: operation.serialize(result, context) } };
        } catch {
          return new LaneHandOver(() => Promise.resolve(result));
        }
      },
    };
  }

  function compile(document: DocumentNode, operation: OperationDefinitionNode): CompiledOperation | null {
    if (operation.directives?.length) return null;
    const [root, ...rest] = operation.selectionSet.selections;
    if (!root || rest.length > 0 || root.kind !== Kind.FIELD || root.directives?.length) return null;
    const field = root.name.value;
    const rootType = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'query' ? schema.getQueryType() : null;
    if (!rootType || !LANE_FIELDS[operation.operation]?.includes(field)) return null;
    if (operation.variableDefinitions?.some((definition) => definition.defaultValue || definition.directives?.length)) return null;
    const args = new Map<string, string>();
    for (const argument of root.arguments ?? []) {
      if (argument.value.kind !== Kind.VARIABLE) return null;
      args.set(argument.name.value, argument.value.name.value);
    }
    const coerce = compileArguments(schema, operation.variableDefinitions ?? [], rootType.getFields()[field]!, args);
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
    const scope: PlanScope = { schema, fragments, variableValues: {} };
    if (!coerce || hasDirectives(root.selectionSet, fragments)) return null;
    const serialize = compileSyncResult(scope, [root]);
    return serialize && { kind: operation.operation as CompiledOperation['kind'], field: field as SyncOperationName, responseKey: root.alias?.value ?? field, coerce, serialize };
  }

  /** The serializer of a `SyncResult` selection; null when some part of it has no plan. */
  function compileSyncResult(scope: PlanScope, nodes: readonly FieldNode[]): CompiledOperation['serialize'] | null {
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
    /** A list of records of one object type, read by `readers`. */
    const records = <T>(typeName: string, readers: RecordReaders<T>, list: (result: SyncResultData) => readonly T[]) => {
      const plan = planOf(typeName, asFieldReaders(readers));
      return (
        plan &&
        ((result: SyncResultData) => {
          const items = list(result);
          return done(serializeRows(items.length, () => plan, (i) => items[i] as unknown as Record<string, unknown>));
        })
      );
    };
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
      case 'deleted':
        return records('ObjectKey', keyReaders, (result) => result.deleted);
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
        return records('SynchronizationFailure', failureReaders, (result) => result.failures);
      case 'outcomes':
        return records('ChangeOutcome', outcomeReaders, (result) => result.outcomes);
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
      let compiled: CompiledOperation | null;
      try {
        compiled = compile(document, operation);
      } catch {
        compiled = null;
      }
      if (!compiled) return;
      const byName = known.get(query) ?? new Map<string, LaneOperation>();
      byName.set(name, laneOperation(compiled));
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
