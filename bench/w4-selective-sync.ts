import { availableParallelism } from 'node:os';
import { startClientThread, type ClientThread } from './client-threads.ts';
import { users } from './data.ts';
import { now, percentile } from './harness.ts';
import { ratioRow, type RatioRow } from './results.ts';
import type { Workload } from './workload.ts';

/**
 * W4: selective sync of one object (R16) by 1, 16 and 64 concurrent clients, each an SDK
 * database of its own issuing requests back to back, against the same number of workers
 * fetching the same row from the bare handler. Rounds of the two alternate at every level.
 * The clients of both sides run on as many threads as the machine has cores (`client-threads.ts`),
 * split evenly between them.
 */

/** How many of `level` clients each thread runs. */
function split(level: number, threads: number): number[] {
  return Array.from({ length: threads }, (_, i) => Math.floor(level / threads) + (i < level % threads ? 1 : 0));
}

/** Latencies of every request and the wall time of one round of `level` clients × `perClient` requests. */
async function load(threads: ClientThread[], level: number, side: 'sdk' | 'baseline', perClient: number) {
  const start = now();
  const shares = split(level, threads.length);
  const parts = await Promise.all(threads.map((thread, i) => (shares[i]! > 0 ? thread.round({ side, clients: shares[i]!, perClient }) : [])));
  return { latencies: parts.flat(), elapsed: now() - start };
}

export const selectiveSync: Workload = {
  id: 'W4',
  title: 'selective sync of one object under concurrency',
  async run({ options, main }) {
    const { clients: levels, requestsPerRound, rounds } = options.selective;
    const [row] = await main.sql(`select id from work_order where assignee_id = '${users.selector}' order by id limit 1`);
    const id = String(row!.id);
    const threadCount = Math.min(availableParallelism(), Math.max(...levels));
    const threads: ClientThread[] = [];
    try {
      for (const clients of split(Math.max(...levels), threadCount)) {
        threads.push(await startClientThread({ syncUrl: main.syncUrl, baselineUrl: main.baselineUrl, user: users.selector, objectId: id, clients }));
      }
      const rows: RatioRow[] = [];
      const perLevel: Record<string, unknown> = {};
      for (const level of levels) {
        const perClient = Math.max(1, Math.round(requestsPerRound / level));
        const stats = { sdk: { latencies: [] as number[], elapsed: 0 }, baseline: { latencies: [] as number[], elapsed: 0 } };
        // An untimed round of each first: the connections, the JIT and the heaps settle at this level.
        await load(threads, level, 'sdk', perClient);
        await load(threads, level, 'baseline', perClient);
        for (let round = 0; round < rounds; round++) {
          for (const side of round % 2 ? (['baseline', 'sdk'] as const) : (['sdk', 'baseline'] as const)) {
            const { latencies, elapsed } = await load(threads, level, side, perClient);
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
      return { rows, notes: { object: id, clientThreads: threadCount, perLevel } };
    } finally {
      for (const thread of threads) await thread.close();
    }
  },
};
