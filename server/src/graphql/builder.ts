import SchemaBuilder from '@pothos/core';
import type { ServerServices } from '../services.ts';
import type { Viewer } from '../registry/viewer.ts';
import type { SyncResultData } from '../sync/types.ts';

/** What every resolver receives: the authenticated viewer and the server's services. */
export interface GraphQLContext {
  viewer: Viewer;
  services: ServerServices;
  /** The origin file URLs are made absolute with. */
  baseUrl: string;
  /**
   * The outcome of the sync operation the sync lane ran for this request and handed over for
   * graphql-js to complete (`sync-lane.ts`): its resolver answers this instead of running again.
   */
  laneOutcome?: () => Promise<SyncResultData>;
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
