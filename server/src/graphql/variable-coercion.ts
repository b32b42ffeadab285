import {
  isInputObjectType,
  isListType,
  isNonNullType,
  typeFromAST,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * Variable coercion for the sync lane (`sync-lane.ts`): what graphql-js' `getVariableValues` and
 * `getArgumentValues` give a root field's resolver, for the values graphql-js accepts. Wherever
 * graphql-js would report an error (or apply a default value, which this does not compile), it
 * throws `CoercionRefused` instead, and the caller leaves the request to graphql-js, which
 * reports it. Each input type's coercer is made once, with its fields listed: graphql-js walks
 * the type's field map, a path object per value and an `Object.keys` per input object, which for
 * an upload of 10 000 changes was the server's largest single cost and allocation.
 */

/** graphql-js would refuse the value (or the lane does not coerce it): graphql-js must run. */
export class CoercionRefused extends Error {}

const refuse = (): never => {
  throw new CoercionRefused();
};

type Coerce = (value: unknown) => unknown;

const coercers = new WeakMap<GraphQLInputType, Coerce>();

/** The coercer of an input type: graphql-js' `coerceInputValue` for the values it accepts. */
function coercerOf(type: GraphQLInputType): Coerce {
  let coerce = coercers.get(type);
  if (!coerce) {
    coerce = makeCoercer(type);
    coercers.set(type, coerce);
  }
  return coerce;
}

function makeCoercer(type: GraphQLInputType): Coerce {
  if (isNonNullType(type)) {
    let inner: Coerce | undefined;
    return (value) => (value === null || value === undefined ? refuse() : (inner ??= coercerOf(type.ofType))(value));
  }
  if (isListType(type)) {
    let item: Coerce | undefined;
    return (value) => {
      if (value === null) return null;
      item ??= coercerOf(type.ofType);
      if (!Array.isArray(value)) return [item(value)];
      const list = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) list[i] = item(value[i]);
      return list;
    };
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    // Defaults are graphql-js' to apply.
    if (fields.some((field) => field.defaultValue !== undefined)) return refuse;
    const names = new Set(fields.map((field) => field.name));
    const required = fields.map((field) => isNonNullType(field.type));
    const oneOf = type.isOneOf;
    // Made on first use: input types may refer to themselves.
    let coerceField: Coerce[] | undefined;
    return (value) => {
      if (value === null) return null;
      if (typeof value !== 'object' || Array.isArray(value)) return refuse();
      const input = value as Record<string, unknown>;
      coerceField ??= fields.map((field) => coercerOf(field.type));
      const coerced: Record<string, unknown> = {};
      let given = 0;
      let last: unknown;
      for (let i = 0; i < fields.length; i++) {
        const name = fields[i]!.name;
        const fieldValue = input[name];
        if (fieldValue === undefined) {
          if (required[i]) refuse();
          continue;
        }
        last = coerced[name] = coerceField[i]!(fieldValue);
        given++;
      }
      for (const key of Object.keys(input)) if (!names.has(key)) refuse();
      // @oneOf: exactly one field, and not null.
      if (oneOf && (given !== 1 || last === null)) refuse();
      return coerced;
    };
  }
  return (value) => {
    if (value === null) return null;
    let parsed: unknown;
    try {
      parsed = type.parseValue(value);
    } catch {
      return refuse();
    }
    return parsed === undefined ? refuse() : parsed;
  };
}

/** A root field's arguments, coerced from a request's variables. */
export type ArgumentCoercion = (variables: Record<string, unknown>) => Record<string, unknown>;

/**
 * The coercion of a root field's arguments, each given as a variable of the operation (`args`:
 * argument name → variable name); null when some variable's type is unknown.
 */
export function compileArguments(
  schema: GraphQLSchema,
  definitions: readonly VariableDefinitionNode[],
  field: GraphQLField<unknown, unknown>,
  args: ReadonlyMap<string, string>,
): ArgumentCoercion | null {
  const variables: { name: string; nonNull: boolean; coerce: Coerce }[] = [];
  for (const definition of definitions) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (!type) return null;
    variables.push({ name: definition.variable.name.value, nonNull: isNonNullType(type), coerce: coercerOf(type) });
  }
  const parameters = field.args.map((argument) => ({
    name: argument.name,
    variable: args.get(argument.name),
    nonNull: isNonNullType(argument.type),
    hasDefault: argument.defaultValue !== undefined,
  }));
  return (raw) => {
    const coerced: Record<string, unknown> = {};
    for (const variable of variables) {
      if (!Object.hasOwn(raw, variable.name)) {
        if (variable.nonNull) refuse();
        continue;
      }
      coerced[variable.name] = variable.coerce(raw[variable.name]);
    }
    const values: Record<string, unknown> = {};
    for (const parameter of parameters) {
      if (parameter.variable === undefined || !Object.hasOwn(coerced, parameter.variable)) {
        if (parameter.hasDefault || parameter.nonNull) refuse();
        continue;
      }
      const value = coerced[parameter.variable];
      if (value === null && parameter.nonNull) refuse();
      values[parameter.name] = value;
    }
    return values;
  };
}
