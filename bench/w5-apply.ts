import { cacheExchange } from '@urql/exchange-graphcache';
import { Client, gql, makeResult, type Exchange } from '@urql/core';
import { filter, map, pipe } from 'wonka';
import { IDBFactory } from 'fake-indexeddb';
import {
  createIndexedDbStorage,
  createMemoryStorage,
  openSyncDatabase,
  type Database,
  type StorageAdapter,
  type SyncEntitiesQuery,
  type SyncResultFieldsFragment,
  type Transport,
} from '@offline-sync/client-sdk';
import { CUSTOMER_ID } from './data.ts';
import { interleave, median } from './harness.ts';
import { ratioRow } from './results.ts';
import type { Workload } from './workload.ts';

/**
 * W5: applying a downloaded result of N work orders on the device, without the network. The SDK
 * has no public "apply this result" entry point (applying is the last step of `synchronize()`),
 * so it is measured through `synchronize()` with the public `transport` option replaced by a stub
 * that answers with a prepared single-page `SyncResult`: what is timed is staging the page,
 * planning the apply against the local objects and writing it: into the memory store (a database
 * opened without a storage adapter, which holds its objects in memory only), through the memory
 * adapter (`createMemoryStorage`, a second copy a new database can load: reported, no target) and
 * through IndexedDB (fake-indexeddb), plus two stub calls. Against: a plain
 * `Map.set` loop over the same objects, and urql Graphcache receiving the same objects as a query
 * result from a stub exchange (no network): it normalizes them into its store and reads the
 * query back for the app, as it does with every result. (Graphcache's `Store` cannot be written
 * outside an exchange: `updateQuery`/`writeFragment` need the exchange's operation state; `wonka`
 * is urql's own stream library.)
 */

type SyncedObject = SyncResultFieldsFragment['upserted'][number];

const entities: SyncEntitiesQuery['syncEntities'] = [
  { entity: 'Customer', downloadMode: 'ALL', isFile: false },
  { entity: 'WorkOrder', downloadMode: 'FILTERED', isFile: false },
  { entity: 'Photo', downloadMode: 'FILTERED', isFile: true },
  { entity: 'Feedback', downloadMode: 'NOTHING_CLEAR', isFile: false },
];

/** N work orders as the server sends them. */
function workOrders(count: number): SyncedObject[] {
  const stamp = '2026-01-01T00:00:00.000Z';
  return Array.from({ length: count }, (_, i) => ({
    __typename: 'WorkOrder' as const,
    id: `00000000-0000-4000-a000-${i.toString(16).padStart(12, '0')}`,
    version: 1,
    createdAt: stamp,
    changedAt: stamp,
    title: `Work order ${i}`,
    description: `Replace the part and check the installation (${i})`,
    status: (['OPEN', 'IN_PROGRESS', 'DONE'] as const)[i % 3]!,
    customerId: CUSTOMER_ID,
    assigneeId: 'bench',
    dueDate: '2026-06-01',
    hoursSpent: (i % 40) / 4,
    completedAt: null,
    isOverdue: false,
  }));
}

/** A transport that answers every full sync with the prepared page, and knows nothing else. */
function stubTransport(upserted: SyncedObject[]): Transport {
  const refuse = () => Promise.reject(new Error('not available in the apply benchmark'));
  return {
    synchronize: async ({ input }) => ({
      syncId: input.syncId,
      checkpoint: 'bench',
      hasMore: false,
      nextPage: null,
      reset: true,
      replayed: false,
      upserted,
      deleted: [],
      files: [],
      failures: [],
      outcomes: [],
    }),
    downloadPage: refuse,
    read: refuse,
    syncEntities: async () => entities,
    synchronizationFailures: async () => [],
    resolveSynchronizationFailure: refuse,
  };
}

/** An exchange answering every query with `data`, in place of the network. */
function resultExchange(data: object): Exchange {
  return () => (operations$) =>
    pipe(
      operations$,
      filter((operation) => operation.kind === 'query'),
      map((operation) => makeResult(operation, { data })),
    );
}

const graphcacheQuery = gql`
  query Download {
    download {
      upserted {
        __typename id version createdAt changedAt title description status customerId assigneeId dueDate hoursSpent completedAt isOverdue
      }
    }
  }
`;

export const apply: Workload = {
  id: 'W5',
  title: 'applying a downloaded result on the device',
  async run({ options }) {
    const count = options.applyObjects;
    const objects = workOrders(count);
    const transport = stubTransport(objects);
    let client: Database | null = null;
    let applied = 0;
    let graphcache: Client | null = null;
    let graphcacheObjects = 0;
    const graphcacheData = { download: { __typename: 'SyncResult', upserted: objects } };
    let map: Map<string, SyncedObject> | null = null;
    let mapSize = 0;
    let dbNumber = 0;
    // Every trial lets go of what it built once it is timed, so that no trial runs with another's
    // data still on the heap (Graphcache's store or an IndexedDB full of records: 100-250 MB).
    // Without a storage adapter the database holds its objects in memory only (the memory store).
    const sdkTrial = (storage?: () => StorageAdapter) => ({
      prepare: async () => void (client = await openSyncDatabase({ url: 'http://127.0.0.1/unused', transport, ...(storage ? { storage: storage() } : {}) })),
      run: async () => (applied = (await client!.synchronize()).downloaded),
      cleanup: async () => {
        await client!.close();
        client = null;
      },
    });
    const samples = await interleave(
      {
        sdkMemory: sdkTrial(),
        sdkMemoryAdapter: sdkTrial(() => createMemoryStorage()),
        sdkIndexedDb: sdkTrial(() => createIndexedDbStorage({ name: `bench-${dbNumber++}`, indexedDB: new IDBFactory() })),
        map: {
          run: async () => {
            map = new Map();
            for (const object of objects) map.set(`${object.__typename}:${object.id}`, object);
          },
          cleanup: async () => {
            mapSize = map!.size;
            map = null;
          },
        },
        graphcache: {
          prepare: async () => {
            const exchanges = [cacheExchange({ keys: { SyncResult: () => null } }), resultExchange(graphcacheData)];
            graphcache = new Client({ url: 'http://127.0.0.1/unused', exchanges, requestPolicy: 'network-only' });
          },
          run: async () => {
            const result = await graphcache!.query<{ download: { upserted: unknown[] } }>(graphcacheQuery, {}).toPromise();
            if (result.error) throw result.error;
            graphcacheObjects = result.data?.download.upserted.length ?? 0;
          },
          cleanup: async () => void (graphcache = null),
        },
      },
      options.runs,
    );
    const m = median(samples.map);
    const g = median(samples.graphcache);
    const memory = median(samples.sdkMemory);
    const memoryAdapter = median(samples.sdkMemoryAdapter);
    const indexedDb = median(samples.sdkIndexedDb);
    return {
      rows: [
        ratioRow({ case: `${count} objects, memory store`, against: 'Map.set', subject: memory, baseline: m, unit: 'ms', target: { op: '<=', value: 2.0 } }),
        ratioRow({ case: `${count} objects, memory store`, against: 'Graphcache', subject: memory, baseline: g, unit: 'ms', target: { op: '<', value: 1.0 } }),
        ratioRow({ case: `${count} objects, memory adapter`, against: 'Map.set', subject: memoryAdapter, baseline: m, unit: 'ms' }),
        ratioRow({ case: `${count} objects, IndexedDB`, against: 'Map.set', subject: indexedDb, baseline: m, unit: 'ms', target: { op: '<=', value: 2.0 } }),
        ratioRow({ case: `${count} objects, IndexedDB`, against: 'Graphcache', subject: indexedDb, baseline: g, unit: 'ms', target: { op: '<', value: 1.0 } }),
      ],
      notes: { objects: count, sdkApplied: applied, mapSize, graphcacheObjects, samples },
    };
  },
};
