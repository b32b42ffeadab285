import type { Database } from '@offline-sync/client-sdk';
import { fetchBaseline, openClient } from './clients.ts';
import { sizedUser } from './data.ts';
import { interleave, median } from './harness.ts';
import { ratioRow } from './results.ts';
import type { Workload } from './workload.ts';

/**
 * W1: a device's first full sync of N work orders through the SDK into its memory store, against
 * one SELECT of the same rows answered with `JSON.stringify` and read with `JSON.parse`.
 */
export const firstSync: Workload = {
  id: 'W1',
  title: 'full first sync vs SELECT + JSON',
  async run({ options, main }) {
    const count = options.firstSyncObjects;
    const user = sizedUser(count);
    let client: Database | null = null;
    let downloaded = 0;
    let baselineRows = 0;
    const samples = await interleave(
      {
        sdk: {
          prepare: async () => void (client = await openClient(main.syncUrl, user)),
          run: async () => (downloaded = (await client!.synchronize()).downloaded),
          cleanup: async () => client!.close(),
        },
        baseline: {
          run: async () => {
            const body = (await fetchBaseline(`${main.baselineUrl}/full`, user)) as { workOrders: unknown[]; customers: unknown[] };
            baselineRows = body.workOrders.length + body.customers.length;
          },
        },
      },
      options.runs,
    );
    return {
      rows: [ratioRow({ case: `${count} objects`, subject: median(samples.sdk), baseline: median(samples.baseline), unit: 'ms', target: { op: '<=', value: 1.5 } })],
      notes: { objects: count, sdkDownloaded: downloaded, baselineRows, samples },
    };
  },
};
