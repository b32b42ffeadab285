import type { Database } from '@offline-sync/client-sdk';
import { openClient } from './clients.ts';
import { touchWorkOrders, users } from './data.ts';
import { interleave, median } from './harness.ts';
import { ratioRow } from './results.ts';
import type { Workload } from './workload.ts';
import type { BenchServer } from './bench-server.ts';

/**
 * W2: an incremental full sync that downloads the few objects changed since the checkpoint (R14:
 * its cost must grow with the changes, not with the data), on a table of many rows against a
 * table of few. The same user and the same number of owned objects on both; the changes are
 * made with SQL outside the sync API before each timed sync.
 */
export const incrementalSync: Workload = {
  id: 'W2',
  title: 'incremental sync, large vs small table',
  async run({ options, main, small }) {
    const { changed } = options.incremental;
    const user = users.incremental;
    const tableRows = async (server: BenchServer) => Number((await server.sql('select count(*)::int as n from work_order'))[0]!.n);
    const [largeRows, smallRows] = [await tableRows(main), await tableRows(small)];
    const clients: Database[] = [await openClient(main.syncUrl, user), await openClient(small.syncUrl, user)];
    const [largeClient, smallClient] = clients as [Database, Database];
    for (const client of clients) await client.synchronize();
    const downloaded = { large: new Set<number>(), small: new Set<number>() };
    try {
      const samples = await interleave(
        {
          large: {
            prepare: async () => void (await main.sql(touchWorkOrders(user, changed))),
            run: async () => downloaded.large.add((await largeClient.synchronize()).downloaded),
          },
          small: {
            prepare: async () => void (await small.sql(touchWorkOrders(user, changed))),
            run: async () => downloaded.small.add((await smallClient.synchronize()).downloaded),
          },
        },
        options.lightRuns,
        2,
      );
      return {
        rows: [
          ratioRow({
            case: `${changed} changed, ${largeRows} vs ${smallRows} rows`,
            subject: median(samples.large),
            baseline: median(samples.small),
            unit: 'ms',
            target: { op: '<=', value: 1.2 },
          }),
        ],
        notes: { largeRows, smallRows, changed, downloadedPerSync: { large: [...downloaded.large], small: [...downloaded.small] }, samples },
      };
    } finally {
      for (const client of clients) await client.close();
    }
  },
};
