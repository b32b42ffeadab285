import type { Database } from '@offline-sync/client-sdk';
import { fetchBaseline, openClient } from './clients.ts';
import { users } from './data.ts';
import { now, percentile } from './harness.ts';
import { ratioRow, type RatioRow } from './results.ts';
import type { Workload } from './workload.ts';

/**
 * W4: selective sync of one object (R16) by 1, 16 and 64 concurrent clients, each an SDK
 * database of its own issuing requests back to back, against the same number of workers
 * fetching the same row from the bare handler. Rounds of the two alternate at every level.
 */

/** Latencies of every request and the wall time of one round of `workers` × `perWorker` requests. */
async function load(workers: number, perWorker: number, request: (worker: number) => Promise<unknown>) {
  const latencies: number[] = [];
  const start = now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; i < perWorker; i++) {
        const begin = now();
        await request(worker);
        latencies.push(now() - begin);
      }
    }),
  );
  return { latencies, elapsed: now() - start };
}

export const selectiveSync: Workload = {
  id: 'W4',
  title: 'selective sync of one object under concurrency',
  async run({ options, main }) {
    const { clients: levels, requestsPerRound, rounds } = options.selective;
    const [row] = await main.sql(`select id from work_order where assignee_id = '${users.selector}' order by id limit 1`);
    const id = String(row!.id);
    const objects = [{ entity: 'WorkOrder' as const, id }];
    const clients: Database[] = [];
    try {
      for (let i = 0; i < Math.max(...levels); i++) {
        const client = await openClient(main.syncUrl, users.selector);
        await client.synchronize({ mode: 'selected', objects });
        clients.push(client);
      }
      const sides = {
        sdk: (worker: number) => clients[worker]!.synchronize({ mode: 'selected', objects }),
        baseline: () => fetchBaseline(`${main.baselineUrl}/object?id=${id}`, users.selector),
      };
      const rows: RatioRow[] = [];
      const perLevel: Record<string, unknown> = {};
      for (const level of levels) {
        const perWorker = Math.max(1, Math.round(requestsPerRound / level));
        const stats = { sdk: { latencies: [] as number[], elapsed: 0 }, baseline: { latencies: [] as number[], elapsed: 0 } };
        // An untimed round of each first: the connections, the JIT and the heaps settle at this level.
        await load(level, perWorker, sides.sdk);
        await load(level, perWorker, sides.baseline);
        for (let round = 0; round < rounds; round++) {
          for (const side of round % 2 ? (['baseline', 'sdk'] as const) : (['sdk', 'baseline'] as const)) {
            const { latencies, elapsed } = await load(level, perWorker, sides[side]);
            stats[side].latencies.push(...latencies);
            stats[side].elapsed += elapsed;
          }
        }
        const throughput = (side: 'sdk' | 'baseline') => (stats[side].latencies.length / stats[side].elapsed) * 1000;
        const p = (side: 'sdk' | 'baseline', fraction: number) => percentile(stats[side].latencies, fraction);
        rows.push(
          ratioRow({ case: `${level} clients p50`, subject: p('sdk', 0.5), baseline: p('baseline', 0.5), unit: 'ms', target: { op: '<=', value: 1.5 } }),
          ratioRow({ case: `${level} clients p99`, subject: p('sdk', 0.99), baseline: p('baseline', 0.99), unit: 'ms' }),
          ratioRow({ case: `${level} clients throughput`, subject: throughput('sdk'), baseline: throughput('baseline'), unit: 'req/s', target: { op: '>=', value: 0.6 } }),
        );
        perLevel[`${level}`] = { requests: stats.sdk.latencies.length, sdkElapsedMs: stats.sdk.elapsed, baselineElapsedMs: stats.baseline.elapsed };
      }
      return { rows, notes: { object: id, perLevel } };
    } finally {
      for (const client of clients) await client.close();
    }
  },
};
