import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GCProfiler } from 'node:v8';
import { loadConfig } from '../server/src/config.ts';
import { createSyncServer } from '../server/src/server.ts';
import { createBaselineHandler } from './baseline-routes.ts';
import { openBenchDatabase } from './bench-database.ts';
import type { MemoryWindow, Ready, RpcRequest, RpcResponse } from './server-protocol.ts';

/**
 * A benchmark server process (forked by `bench-server.ts`): a fresh database, the real sync
 * server on 127.0.0.1 (as `npm start` serves it) and the baseline handler on another loopback
 * port, both on the same database. It samples its own memory on request, so that the benchmark
 * sees the server's memory apart from the client's. Exits when the parent goes away.
 */

const SAMPLE_MS = 5;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/**
 * Samples `process.memoryUsage()` while a window is open, and records every collection V8 makes
 * in it (`v8.GCProfiler`) for the heap still live after each full one; on request it makes full
 * collections itself at an interval. The window starts from a collected heap (the process runs
 * with `--expose-gc`; starting is not timed).
 */
class MemorySampler {
  private window: MemoryWindow | null = null;
  private timer: NodeJS.Timeout | null = null;
  private profiler: GCProfiler | null = null;
  private collector: NodeJS.Timeout | null = null;

  rowsRead(count: number): void {
    if (this.window) this.window.maxRowsRead = Math.max(this.window.maxRowsRead, count);
  }

  start(collectEveryMs?: number): void {
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    this.window = { before: { rss, heapUsed }, peak: { rss, heapUsed }, liveHeapAfterGc: null, maxRowsRead: 0 };
    this.timer ??= setInterval(() => this.sample(), SAMPLE_MS);
    this.profiler = new GCProfiler();
    this.profiler.start();
    const gc = globalThis.gc;
    if (collectEveryMs && gc) {
      this.collector = setInterval(() => {
        gc();
        this.live(process.memoryUsage().heapUsed);
      }, collectEveryMs);
    }
  }

  private live(heapUsed: number): void {
    if (this.window) this.window.liveHeapAfterGc = Math.max(this.window.liveHeapAfterGc ?? 0, heapUsed);
  }

  stop(): MemoryWindow {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    if (this.collector) clearInterval(this.collector);
    this.timer = this.collector = null;
    for (const collection of this.profiler?.stop()?.statistics ?? []) {
      if (collection.gcType === 'MarkSweepCompact') this.live(collection.afterGC.heapStatistics.usedHeapSize);
    }
    this.profiler = null;
    const window = this.window!;
    this.window = null;
    return window;
  }

  private sample(): void {
    if (!this.window) return;
    const { rss, heapUsed } = process.memoryUsage();
    this.window.peak.rss = Math.max(this.window.peak.rss, rss);
    this.window.peak.heapUsed = Math.max(this.window.peak.heapUsed, heapUsed);
  }
}

const send = (message: RpcResponse | Ready) => process.send!(message);
const memory = new MemorySampler();
const bench = await openBenchDatabase(process.env.BENCH_DATABASE_URL || undefined);
// The process runs with NODE_ENV=production, as deployed (graphql-js and the other libraries skip
// their development checks); only the sync server's own configuration is development's, so that
// it accepts the dev tokens the clients send (like the baseline, it parses the token, no JWT).
const config = loadConfig({ NODE_ENV: 'development', PGLITE_DIR: 'memory', SEED_DEMO_DATA: 'true' });
const sync = await createSyncServer({ config, database: bench.database, onRowsRead: (count) => memory.rowsRead(count) });
const syncHttp = createServer(sync.app.handleNode);
const baselineHttp = createServer(createBaselineHandler(bench));
const [syncOrigin, baselineUrl] = await Promise.all([listen(syncHttp), listen(baselineHttp)]);

async function close(): Promise<void> {
  syncHttp.closeAllConnections();
  baselineHttp.closeAllConnections();
  syncHttp.close();
  baselineHttp.close();
  await sync.close();
  await bench.close();
}

async function handle(request: RpcRequest): Promise<unknown> {
  switch (request.method) {
    case 'sql': {
      let rows: Record<string, unknown>[] = [];
      for (const statement of (request as RpcRequest<'sql'>).params.statements) rows = await bench.query(statement);
      return rows;
    }
    case 'memoryStart':
      memory.start((request as RpcRequest<'memoryStart'>).params.collectEveryMs);
      return null;
    case 'memoryStop':
      return memory.stop();
    case 'close':
      await close();
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (message: RpcRequest) => {
  handle(message).then(
    (result) => send({ id: message.id, result }),
    (error: unknown) => send({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
process.on('disconnect', () => void close().finally(() => process.exit(0)));
send({ ready: true, kind: bench.kind, syncUrl: `${syncOrigin}/graphql`, baselineUrl });
