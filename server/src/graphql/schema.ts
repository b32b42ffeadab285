import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import type { Registry } from '../registry/registry.ts';
import { createBuilder } from './builder.ts';
import { addEntityTypes } from './entity-types.ts';
import { addScalars } from './scalars.ts';
import { addSyncTypes } from './sync-types.ts';

/** Builds the GraphQL schema of a registry: one definition per entity drives all of it. */
export function buildSchema(registry: Registry): GraphQLSchema {
  const builder = createBuilder();
  builder.queryType({});
  builder.mutationType({});
  addScalars(builder);
  const refs = addEntityTypes(builder, registry);
  addSyncTypes(builder, registry, refs);
  return builder.toSchema();
}

/** The SDL committed as `schema.graphql`. */
export function printSchemaSdl(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
