import type { SyncCore } from './sync/synchronize.ts';

/** What the GraphQL and HTTP layers need from the server: the sync core and its database. */
export type ServerServices = SyncCore;
