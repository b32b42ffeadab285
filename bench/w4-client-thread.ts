import { parentPort, workerData } from 'node:worker_threads';
import type { Database } from '@offline-sync/client-sdk';
import { fetchBaseline, openClient } from './clients.ts';
import { now } from './harness.ts';

/**
 * One client thread of W4 (`client-threads.ts` starts it): SDK databases of their own, and
 * rounds of selective syncs or baseline fetches on request, their latencies sent back.
 */

/** What a W4 client thread is started with. */
export interface ClientThreadSetup {
  syncUrl: string;
  baselineUrl: string;
  user: string;
  objectId: string;
  /** The SDK databases this thread opens. */
  clients: number;
}

/** A round: `clients` of the thread's clients (or baseline workers) making `perClient` requests each, back to back. */
export interface RoundRequest {
  side: 'sdk' | 'baseline';
  clients: number;
  perClient: number;
}

/** What a thread answers: ready, a round's latencies, or closed. */
export type ThreadMessage = { ready: true } | { latencies: number[] } | { closed: true };

const setup = workerData as ClientThreadSetup;
const objects = [{ entity: 'WorkOrder' as const, id: setup.objectId }];
const databases: Database[] = [];
for (let i = 0; i < setup.clients; i++) {
  const database = await openClient(setup.syncUrl, setup.user);
  await database.synchronize({ mode: 'selected', objects });
  databases.push(database);
}
const sides = {
  sdk: (client: number) => databases[client]!.synchronize({ mode: 'selected', objects }),
  baseline: () => fetchBaseline(`${setup.baselineUrl}/object?id=${setup.objectId}`, setup.user),
};

async function round({ side, clients, perClient }: RoundRequest): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; i < perClient; i++) {
        const begin = now();
        await sides[side](client);
        latencies.push(now() - begin);
      }
    }),
  );
  return latencies;
}

const port = parentPort!;
port.on('message', async (message: RoundRequest | { close: true }) => {
  if ('close' in message) {
    for (const database of databases) await database.close();
    port.postMessage({ closed: true } satisfies ThreadMessage);
    return;
  }
  port.postMessage({ latencies: await round(message) } satisfies ThreadMessage);
});
port.postMessage({ ready: true } satisfies ThreadMessage);
