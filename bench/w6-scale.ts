import type { Database } from '@offline-sync/client-sdk';
import { openClient } from './clients.ts';
import { sizedUser } from './data.ts';
import { interleave, median, type Trial } from './harness.ts';
import { ratioRow, type RatioRow } from './results.ts';
import type { MemoryWindow } from './server-protocol.ts';
import type { Workload } from './workload.ts';

/**
 * W6: full first syncs of growing sizes. The time per object should stay flat (within 15% of the
 * smallest size's), and the server's memory should be bounded by the download page, not by the
 * data: the server process samples its own `process.memoryUsage()` during each sync and counts the
 * rows each paged query reads (`onRowsRead`). The JS heap is the measure: with PGlite the whole
 * database lives in the server process, so its resident size grows with the data by design. The
 * heap is compared between the two largest sizes: the smallest sync ends before V8's heap reaches
 * its steady state, so its peak says little.
 */

const MB = 1024 * 1024;

interface SizeMemory {
  heapGrowthMb: number;
  rssGrowthMb: number;
  maxRowsRead: number;
}

function growth(window: MemoryWindow, previous: SizeMemory | undefined): SizeMemory {
  const heap = (window.peak.heapUsed - window.before.heapUsed) / MB;
  const rss = (window.peak.rss - window.before.rss) / MB;
  return {
    heapGrowthMb: Math.max(heap, previous?.heapGrowthMb ?? 0),
    rssGrowthMb: Math.max(rss, previous?.rssGrowthMb ?? 0),
    maxRowsRead: Math.max(window.maxRowsRead, previous?.maxRowsRead ?? 0),
  };
}

export const scale: Workload = {
  id: 'W6',
  title: 'full sync at growing sizes',
  async run({ options, main }) {
    const sizes = [...options.scaleSizes].sort((a, b) => a - b);
    const memory = new Map<number, SizeMemory>();
    const trials: Record<string, Trial> = {};
    for (const size of sizes) {
      let client: Database | null = null;
      trials[String(size)] = {
        prepare: async () => {
          client = await openClient(main.syncUrl, sizedUser(size));
          await main.memoryStart();
        },
        run: () => client!.synchronize(),
        cleanup: async () => {
          memory.set(size, growth(await main.memoryStop(), memory.get(size)));
          await client!.close();
          client = null;
        },
      };
    }
    const samples = await interleave(trials, Math.min(options.runs, 3), 0);
    const perObject = (size: number) => (median(samples[String(size)]!) / size) * 1000;
    const smallest = sizes[0]!;
    const largest = sizes.at(-1)!;
    const nextLargest = sizes.at(-2) ?? smallest;
    const rows: RatioRow[] = sizes
      .slice(1)
      .map((size) => ratioRow({ case: `${size} vs ${smallest}: time per object`, subject: perObject(size), baseline: perObject(smallest), unit: 'µs/object', target: { op: '<=', value: 1.15 } }));
    rows.push(
      ratioRow({
        case: `${largest} vs ${nextLargest}: server peak heap growth`,
        subject: memory.get(largest)!.heapGrowthMb,
        baseline: memory.get(nextLargest)!.heapGrowthMb,
        unit: 'MB',
        target: { op: '<=', value: 1.5 },
      }),
      ratioRow({
        case: `${largest}: most rows one query read vs page size`,
        subject: Math.max(...[...memory.values()].map((m) => m.maxRowsRead)),
        baseline: options.pageSize + 1,
        unit: 'rows',
        target: { op: '<=', value: 1 },
      }),
    );
    return {
      rows,
      notes: {
        msPerSync: Object.fromEntries(sizes.map((size) => [size, median(samples[String(size)]!)])),
        usPerObject: Object.fromEntries(sizes.map((size) => [size, perObject(size)])),
        serverMemory: Object.fromEntries(memory),
        samples,
      },
    };
  },
};
