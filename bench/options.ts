/**
 * The sizes and repetition counts of a run. `quick` is the CI smoke run (small sizes, a couple of
 * repetitions, about two minutes on two cores); `full` is the measurement the issue asks for.
 */

export interface BenchOptions {
  mode: 'quick' | 'full';
  /** W1: objects in the first sync. */
  firstSyncObjects: number;
  /** W2: rows in the small and the large table; `changed` objects change between syncs. */
  incremental: { small: number; large: number; owned: number; changed: number };
  /** W3: changed objects uploaded in one sync. */
  uploadObjects: number;
  /** W4: concurrency levels and requests per client per round. */
  selective: { clients: number[]; requestsPerRound: number; rounds: number };
  /** W5: objects applied. */
  applyObjects: number;
  /** W6: full-sync sizes. */
  scaleSizes: number[];
  /** Timed runs per trial (median taken) for the heavy workloads, and for the light ones. */
  runs: number;
  lightRuns: number;
  /** Rows the server reads per download page (the server default, `DOWNLOAD_PAGE_SIZE`). */
  pageSize: number;
}

export const quickOptions: BenchOptions = {
  mode: 'quick',
  firstSyncObjects: 5_000,
  incremental: { small: 1_000, large: 20_000, owned: 500, changed: 10 },
  uploadObjects: 1_000,
  selective: { clients: [1, 4, 16], requestsPerRound: 64, rounds: 2 },
  applyObjects: 5_000,
  scaleSizes: [1_000, 4_000, 16_000],
  runs: 3,
  lightRuns: 10,
  pageSize: 2_000,
};

export const fullOptions: BenchOptions = {
  mode: 'full',
  firstSyncObjects: 100_000,
  incremental: { small: 1_000, large: 1_000_000, owned: 500, changed: 10 },
  uploadObjects: 10_000,
  selective: { clients: [1, 16, 64], requestsPerRound: 640, rounds: 3 },
  applyObjects: 100_000,
  scaleSizes: [10_000, 100_000, 1_000_000],
  runs: 5,
  lightRuns: 40,
  pageSize: 2_000,
};

/** Reads `--quick` and `--only=W1,W3` from the command line. */
export function parseArgs(argv: readonly string[]): { options: BenchOptions; only: Set<string> | null } {
  const options = argv.includes('--quick') ? quickOptions : fullOptions;
  const onlyArg = argv.find((arg) => arg.startsWith('--only='));
  const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',').map((id) => id.trim().toUpperCase())) : null;
  return { options, only };
}
