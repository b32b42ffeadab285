import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { isCalendarDate } from '../sync/validate.ts';
import type { Builder } from './builder.ts';

/** The custom scalars of the wire contract: DateTime (ISO-8601), Date (YYYY-MM-DD), JSON. */

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string') throw new GraphQLError('DateTime must be an ISO-8601 string');
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    throw new GraphQLError(`DateTime cannot represent "${value}": expected an ISO-8601 date-time`);
  }
  return date;
}

function parseDate(value: unknown): string {
  const valid = isCalendarDate(value);
  if (!valid) throw new GraphQLError(`Date cannot represent ${JSON.stringify(value)}: expected YYYY-MM-DD`);
  return value;
}

function literalValue(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalValue(f.value)]));
    default:
      throw new GraphQLError('JSON literals cannot contain variables');
  }
}

export function addScalars(builder: Builder): void {
  builder.scalarType('DateTime', {
    description: 'An instant, as an ISO-8601 string with time zone (for example 2026-11-26T13:00:00.000Z).',
    serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
    parseValue: parseDateTime,
    parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
  });
  builder.scalarType('Date', {
    description: 'A calendar date, YYYY-MM-DD.',
    serialize: (value) => value,
    parseValue: parseDate,
    parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
  });
  builder.scalarType('JSON', {
    description: 'Any JSON value.',
    serialize: (value) => value,
    parseValue: (value) => value,
    parseLiteral: literalValue,
  });
}
