import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTableName, sql } from 'drizzle-orm';
import { loadConfig, type ServerConfig, type SyncLimits } from '../../server/src/config.ts';
import type { Database } from '../../server/src/db/connect.ts';
import { syncFailures, syncTombstones, syncUploads } from '../../server/src/db/system-tables.ts';
import { seedDemoData } from '../../server/src/demo/seed.ts';
import type { Registry } from '../../server/src/registry/registry.ts';
import { createSyncServer, type SyncServer } from '../../server/src/server.ts';
import { openTestDatabase } from './database.ts';

/** The origin test requests use; nothing listens there, requests go straight to the app. */
export const TEST_ORIGIN = 'http://test.local';

export interface TestServer {
  /** The server's fetch handler: pass it to the SDK as its fetch. */
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** The GraphQL endpoint URL. */
  url: string;
  server: SyncServer;
  database: Database;
  /** Inline fragments the test helpers select on synced objects (undefined: the demo's). */
  fragments?: string;
  /** Empties every table and reseeds the demo data (when serving the demo registry). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  registry?: Registry;
  config?: Partial<ServerConfig>;
  limits?: Partial<SyncLimits>;
  /** SQL run after migrations, e.g. to create the tables of a test registry. */
  setupSql?: string[];
  /** Inline fragments selecting the test registry's attributes in synchronize results. */
  fragments?: string;
  onRowsRead?: (count: number) => void;
  /** The clock of file URLs, in milliseconds. */
  now?: () => number;
}

/** Starts the real server in-process on a fresh database. One per test file. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await openTestDatabase();
  for (const statement of options.setupSql ?? []) await database.db.execute(sql.raw(statement));
  const config: ServerConfig = { ...loadConfig({ NODE_ENV: 'test' }), ...options.config };
  const server = await createSyncServer({ config, database, registry: options.registry, limits: options.limits, onRowsRead: options.onRowsRead, now: options.now });
  const tables = [
    ...server.services.registry.list.map((m) => m.tableName),
    getTableName(syncUploads),
    getTableName(syncFailures),
    getTableName(syncTombstones),
  ];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request && !init ? input : new Request(input, init);
    return server.app.fetch(request);
  };
  return {
    fetch,
    url: `${TEST_ORIGIN}/graphql`,
    server,
    database,
    fragments: options.fragments,
    async reset() {
      await database.db.execute(sql.raw(`truncate ${tables.map((t) => `"${t}"`).join(', ')}`));
      if (!options.registry && config.seedDemoData) await seedDemoData(database.db);
    },
    async close() {
      await server.close();
      await database.close();
    },
  };
}

/** A test server's node:http listener (the one that runs the sync lane), on a free local port. */
export interface NodeListener {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** Serves the app's node:http handler on a free port of 127.0.0.1. */
export async function listenNode(server: TestServer): Promise<NodeListener> {
  const http = createServer(server.server.app.handleNode);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
