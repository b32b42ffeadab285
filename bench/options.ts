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
  /** W3: changed objects uploaded in one sync, and its timed runs per side (median taken). */
  uploadObjects: number;
  uploadRuns: number;
  /** W4: concurrency levels and requests per client per round. */
  selective: { clients: number[]; requestsPerRound: number; rounds: number };
  /** W5: objects applied. */
  applyObjects: number;
  /** W6: full-sync sizes. */
  scaleSizes: number[];
  /** Timed runs per trial (median taken) for the heavy workloads, and for the light ones. */
  runs: number;
  lightRuns: number;
  /** Rows the server reads per page of a first (complete) download: the server default, `DOWNLOAD_RESET_PAGE_SIZE`. */
  pageSize: number;
}

export const quickOptions: BenchOptions = {
  mode: 'quick',
  firstSyncObjects: 5_000,
  incremental: { small: 1_000, large: 20_000, owned: 500, changed: 10 },
  uploadObjects: 1_000,
  uploadRuns: 3,
  selective: { clients: [1, 4, 16], requestsPerRound: 64, rounds: 2 },
  applyObjects: 5_000,
  // The two largest span several pages of a complete download, so their server heaps compare.
  scaleSizes: [1_000, 40_000, 80_000],
  runs: 3,
  lightRuns: 10,
  pageSize: 10_000,
};

export const fullOptions: BenchOptions = {
  mode: 'full',
  firstSyncObjects: 100_000,
  incremental: { small: 1_000, large: 1_000_000, owned: 500, changed: 10 },
  uploadObjects: 10_000,
  // More than the other heavy workloads: an upload's time moves with the machine's moment (on a
  // host that steals CPU, 1.1–1.4 s from one run of five to the next), and each run is short.
  uploadRuns: 11,
  selective: { clients: [1, 16, 64], requestsPerRound: 1280, rounds: 5 },
  applyObjects: 100_000,
  scaleSizes: [10_000, 100_000, 1_000_000],
  runs: 5,
  lightRuns: 40,
  pageSize: 10_000,
};

/** Which databases to run on: PGlite always, PostgreSQL when DATABASE_URL is set; `--db=` narrows it. */
export type DatabaseChoice = 'pglite' | 'postgres';

/** Reads `--quick`, `--only=W1,W3` and `--db=pglite|postgres` from the command line. */
export function parseArgs(argv: readonly string[]): { options: BenchOptions; only: Set<string> | null; db: DatabaseChoice | null } {
  const options = argv.includes('--quick') ? quickOptions : fullOptions;
  const value = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const onlyArg = value('only');
  const only = onlyArg ? new Set(onlyArg.split(',').map((id) => id.trim().toUpperCase())) : null;
  const dbArg = value('db');
  if (dbArg !== undefined && dbArg !== 'pglite' && dbArg !== 'postgres') throw new Error(`--db must be pglite or postgres, not ${dbArg}`);
  return { options, only, db: dbArg ?? null };
}
