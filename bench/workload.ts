import type { BenchServer } from './bench-server.ts';
import type { BenchOptions } from './options.ts';
import type { WorkloadResult } from './results.ts';

/** What every workload gets: the options and the two server processes with their data loaded. */
export interface SuiteContext {
  options: BenchOptions;
  /** Holds every data set but W2's small one. */
  main: BenchServer;
  /** W2's small table. */
  small: BenchServer;
}

/** One workload of the suite. */
export interface Workload {
  id: string;
  title: string;
  run(context: SuiteContext): Promise<Pick<WorkloadResult, 'rows' | 'notes'>>;
}
