import { defaultLimits, type ServerConfig, type SyncLimits } from './config.ts';
import { installChangeTracking } from './db/change-tracking.ts';
import { createDirectoryBlobStore } from './files/directory-blob-store.ts';
import { createPostgresBlobStore } from './files/postgres-blob-store.ts';
import { openDatabase, type Database } from './db/connect.ts';
import { createDemoRegistry } from './demo/entities.ts';
import { seedDemoData } from './demo/seed.ts';
import { createApp, type App } from './http/app.ts';
import type { Registry } from './registry/registry.ts';
import type { ServerServices } from './services.ts';
import { createPagePrefetch } from './sync/page-prefetch.ts';
import { purgeExpired } from './sync/retention.ts';

/** A server ready to handle requests: the app, its services and its database. */
export interface SyncServer {
  app: App;
  services: ServerServices;
  database: Database;
  /** Stops background work and closes the database. */
  close(): Promise<void>;
}

export interface CreateServerOptions {
  config: ServerConfig;
  /** The entities to serve; default: the demo domain. */
  registry?: Registry;
  /** An already open database; default: opened from the configuration. */
  database?: Database;
  limits?: Partial<SyncLimits>;
  /** See `SyncCore.onRowsRead`. */
  onRowsRead?: (count: number) => void;
  /** The clock signing and checking file URLs, in milliseconds (tests move it to expire URLs). */
  now?: () => number;
}

/** How long a download page read ahead waits for its device to ask for it. */
const PREFETCH_TTL_MS = 60_000;

/** Opens the database (applying migrations), seeds the demo data if asked, and builds the app. */
export async function createSyncServer(options: CreateServerOptions): Promise<SyncServer> {
  const { config } = options;
  const database =
    options.database ??
    (await openDatabase(config.databaseUrl ? { url: config.databaseUrl, preparedStatements: config.preparedStatements } : { pgliteDir: config.pgliteDir, preparedStatements: config.preparedStatements }));
  const registry = options.registry ?? createDemoRegistry();
  await installChangeTracking(database.db, registry);
  if (config.seedDemoData && !options.registry) await seedDemoData(database.db);
  const limits = { ...defaultLimits, ...config.limits, ...options.limits };
  const files = config.files;
  const services: ServerServices = {
    db: database.db,
    registry,
    limits,
    blobs: files.blobDir ? createDirectoryBlobStore(files.blobDir) : createPostgresBlobStore(database.db),
    fileUrls: { secret: files.urlSecret, ttlSeconds: files.urlTtlSeconds, now: options.now },
    onRowsRead: options.onRowsRead,
    prefetch: createPagePrefetch({ maxPages: limits.downloadPrefetchPages, ttlMs: PREFETCH_TTL_MS }),
  };
  const purge = () => purgeExpired(database.db, limits).catch(() => {});
  await purge();
  const timer = setInterval(purge, 60 * 60 * 1000);
  timer.unref();
  return {
    app: createApp({ services, config }),
    services,
    database,
    close: async () => {
      clearInterval(timer);
      await services.prefetch?.settle();
      if (!options.database) await database.close();
    },
  };
}
