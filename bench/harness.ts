/**
 * Timing primitives shared by every workload: a monotonic clock, medians and percentiles, and
 * interleaved trials, so that a workload and its baseline see the same machine state (GC, caches,
 * CPU frequency) within one process run.
 */

/** One timed thing: `prepare` runs before each timed `run` and is not measured. */
export interface Trial {
  prepare?: () => Promise<void>;
  run: () => Promise<unknown>;
  /** Runs after each timed `run`, not measured (e.g. closing a client). */
  cleanup?: () => Promise<void>;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function now(): number {
  return performance.now();
}

/** Times one call, in milliseconds. */
export async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = now();
  await run();
  return now() - start;
}

/** The value below which `fraction` of the samples lie (nearest rank); NaN when empty. */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median (the mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Lets pending I/O and timers settle, then asks for a collection when `--expose-gc` is on: what
 * the previous trial left to callbacks still queued (fake-indexeddb's, urql's) is only garbage
 * once they have run.
 */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Runs every trial `runs` times (after `warmup` untimed rounds), rotating the order each round so
 * that no trial always runs first, and returns each trial's samples in milliseconds.
 */
export async function interleave<K extends string>(trials: Record<K, Trial>, runs: number, warmup = 1): Promise<Record<K, number[]>> {
  const names = Object.keys(trials) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < warmup + runs; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const name of order) {
      const trial = trials[name];
      await trial.prepare?.();
      await settle();
      const ms = await timed(trial.run);
      await trial.cleanup?.();
      if (round >= warmup) samples[name].push(ms);
    }
  }
  return samples;
}
