import type { Database } from '@offline-sync/client-sdk';
import { fetchBaseline, openClient } from './clients.ts';
import { users } from './data.ts';
import { interleave, median } from './harness.ts';
import { ratioRow } from './results.ts';
import type { Workload } from './workload.ts';

/**
 * W7: a full sync when nothing changed (an app syncing on a timer): the SDK's incremental
 * `synchronize()` against the cheapest round trip there is, a bare handler running `SELECT 1`.
 */
export const idleSync: Workload = {
  id: 'W7',
  title: 'idle sync vs SELECT 1 round trip',
  async run({ options, main }) {
    const client: Database = await openClient(main.syncUrl, users.idle);
    try {
      await client.synchronize();
      let downloaded = 0;
      const samples = await interleave(
        {
          sdk: { run: async () => (downloaded += (await client.synchronize()).downloaded) },
          baseline: { run: () => fetchBaseline(`${main.baselineUrl}/ping`, users.idle) },
        },
        options.lightRuns,
        3,
      );
      return {
        rows: [ratioRow({ case: 'nothing changed', subject: median(samples.sdk), baseline: median(samples.baseline), unit: 'ms', target: { op: '<=', value: 2.0 } })],
        notes: { downloadedWhileIdle: downloaded, samples },
      };
    } finally {
      await client.close();
    }
  },
};
