import SchemaBuilder from '@pothos/core';
import type { ServerServices } from '../services.ts';
import type { Viewer } from '../registry/viewer.ts';

/** What every resolver receives: the authenticated viewer and the server's services. */
export interface GraphQLContext {
  viewer: Viewer;
  services: ServerServices;
  /** The origin file URLs are made absolute with. */
  baseUrl: string;
}

/** Pothos schema types of this server. */
export interface PothosTypes {
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
    Date: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
}

export type Builder = PothosSchemaTypes.SchemaBuilder<PothosSchemaTypes.ExtendDefaultTypes<PothosTypes>>;

/** A fresh builder: the schema is built per registry, so tests can serve their own entities. */
export function createBuilder(): Builder {
  return new SchemaBuilder<PothosTypes>({ defaultFieldNullability: false });
}
