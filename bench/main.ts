import { startBenchServer, killServers, type BenchServer } from './bench-server.ts';
import { mainDataSet, smallDataSet } from './data.ts';
import { now } from './harness.ts';
import { parseArgs } from './options.ts';
import { machine, table, writeResults, type SuiteResult } from './report.ts';
import type { WorkloadResult } from './results.ts';
import type { SuiteContext, Workload } from './workload.ts';
import { firstSync } from './w1-first-sync.ts';
import { incrementalSync } from './w2-incremental-sync.ts';
import { upload } from './w3-upload.ts';
import { selectiveSync } from './w4-selective-sync.ts';
import { apply } from './w5-apply.ts';
import { scale } from './w6-scale.ts';
import { idleSync } from './w7-idle-sync.ts';

/**
 * `npm run bench [-- --quick] [--only=W1,W4] [--db=pglite|postgres]`: every workload against its
 * baseline, on PGlite and, when DATABASE_URL is set, on a fresh PostgreSQL database too. Prints a table and writes
 * JSON under bench/results/. Reports, never judges: exits 0 when targets are missed, 1 only when
 * a workload crashed or the run overran its time limit.
 */

const workloads: Workload[] = [firstSync, incrementalSync, upload, selectiveSync, apply, scale, idleSync];

/** The client side runs like a production app build (urql and Graphcache skip their dev checks). */
process.env.NODE_ENV = 'production';

const { options, only, db } = parseArgs(process.argv.slice(2));
const limitMinutes = options.mode === 'quick' ? 10 : 240;
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${limitMinutes} minutes; stopping`);
  killServers();
  process.exit(1);
}, limitMinutes * 60_000);
watchdog.unref();

const log = (message: string) => console.log(`[bench ${((now() - started) / 1000).toFixed(1)}s] ${message}`);
const started = now();

async function runSuite(databaseUrl: string | undefined): Promise<SuiteResult> {
  const servers: BenchServer[] = [];
  try {
    const [main, small] = await Promise.all([startBenchServer(databaseUrl), startBenchServer(databaseUrl)]);
    servers.push(main, small);
    log(`${main.kind}: servers up (sync ${main.syncUrl}, baseline ${main.baselineUrl}); loading data`);
    await Promise.all([main.sql(...mainDataSet(options)), small.sql(...smallDataSet(options))]);
    const [version] = await main.sql('select version() as v');
    log(`${main.kind}: data loaded`);
    const context: SuiteContext = { options, main, small };
    const results: WorkloadResult[] = [];
    for (const workload of workloads.filter((w) => !only || only.has(w.id))) {
      log(`${main.kind}: ${workload.id} ${workload.title}`);
      try {
        results.push({ id: workload.id, title: workload.title, ...(await workload.run(context)) });
      } catch (error) {
        console.error(error);
        results.push({ id: workload.id, title: workload.title, rows: [], notes: {}, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    }
    return { database: main.kind, databaseVersion: String(version!.v), workloads: results };
  } finally {
    for (const server of servers) await server.close();
  }
}

const startedAt = new Date();
const suites: SuiteResult[] = [];
const postgresUrl = process.env.DATABASE_URL || undefined;
if (db === 'postgres' && !postgresUrl) throw new Error('--db=postgres needs DATABASE_URL');
const targets = [...(db !== 'postgres' ? [undefined] : []), ...(postgresUrl && db !== 'pglite' ? [postgresUrl] : [])];
log(`mode ${options.mode}; machine ${JSON.stringify(machine())}`);
for (const url of targets) suites.push(await runSuite(url));
console.log(`\n${table(suites)}\n`);
for (const path of writeResults(options, suites, startedAt, only)) log(`wrote ${path}`);
const crashed = suites.some((suite) => suite.workloads.some((workload) => workload.error));
process.exit(crashed ? 1 : 0);
