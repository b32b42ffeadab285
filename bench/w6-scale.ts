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
 * data. After the timed syncs, one more sync per size runs untimed while the server makes a full
 * collection every COLLECT_MS and records the JS heap still live after each (from a collected heap
 * at the start): the highest is what the sync kept alive. That is the measure: the peak sampled
 * during the timed syncs (in the notes, with the live heap after V8's own full collections) also
 * holds garbage not collected yet, so it says more about when V8 chose to collect than about the
 * sync; and with PGlite the whole database lives in the server process, so its resident size
 * grows with the data by design. The server counts the rows each paged query reads
 * (`onRowsRead`). The heap is compared between the two largest sizes, both several pages long.
 */

const MB = 1024 * 1024;
/** How often the server makes a full collection during the measuring sync of each size. */
const COLLECT_MS = 50;

interface SizeMemory {
  /** Growth of the heap live after V8's own full collections (`liveGrowthMb`). */
  liveHeapGrowthMb: number;
  /** Growth of the highest heap sampled, garbage included. */
  peakHeapGrowthMb: number;
  rssGrowthMb: number;
  maxRowsRead: number;
}

/** Growth of the heap live after a full collection in the window; the sampled peak when none happened. */
function liveGrowthMb(window: MemoryWindow): number {
  return ((window.liveHeapAfterGc ?? window.peak.heapUsed) - window.before.heapUsed) / MB;
}

function growth(window: MemoryWindow, previous: SizeMemory | undefined): SizeMemory {
  return {
    liveHeapGrowthMb: Math.max(liveGrowthMb(window), previous?.liveHeapGrowthMb ?? 0),
    peakHeapGrowthMb: Math.max((window.peak.heapUsed - window.before.heapUsed) / MB, previous?.peakHeapGrowthMb ?? 0),
    rssGrowthMb: Math.max((window.peak.rss - window.before.rss) / MB, previous?.rssGrowthMb ?? 0),
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
    // One more sync per size, untimed, with the server collecting every COLLECT_MS: the heap it
    // keeps alive is then seen whether or not V8 would have collected during the sync.
    const live = new Map<number, number>();
    for (const size of sizes) {
      const client = await openClient(main.syncUrl, sizedUser(size));
      try {
        await main.memoryStart({ collectEveryMs: COLLECT_MS });
        await client.synchronize();
        live.set(size, liveGrowthMb(await main.memoryStop()));
      } finally {
        await client.close();
      }
    }
    const perObject = (size: number) => (median(samples[String(size)]!) / size) * 1000;
    const smallest = sizes[0]!;
    const largest = sizes.at(-1)!;
    const nextLargest = sizes.at(-2) ?? smallest;
    const rows: RatioRow[] = sizes
      .slice(1)
      .map((size) => ratioRow({ case: `${size} vs ${smallest}: time per object`, subject: perObject(size), baseline: perObject(smallest), unit: 'µs/object', target: { op: '<=', value: 1.15 } }));
    rows.push(
      ratioRow({
        case: `${largest} vs ${nextLargest}: server live heap growth`,
        subject: live.get(largest)!,
        baseline: live.get(nextLargest)!,
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
        serverLiveHeapGrowthMb: Object.fromEntries(live),
        samples,
      },
    };
  },
};
