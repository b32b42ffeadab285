import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Db } from '../registry/define-entity.ts';
import { preparingPglite } from './pglite-statements.ts';
import { preparingClient } from './prepared-statements.ts';
import { queryRows } from './query-rows.ts';

/** The generated drizzle-kit migrations. */
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** An open database: PGlite (embedded) or PostgreSQL. */
export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent PGlite is used. */
  url?: string;
  /** PGlite data directory, or `memory` (default) for an in-memory database. */
  pgliteDir?: string;
  /** PostgreSQL pool size. */
  maxConnections?: number;
  /** Named prepared statements (`prepared-statements.ts`, `pglite-statements.ts`); default on. */
  preparedStatements?: boolean;
  /** Told the text of every statement drizzle runs: how tests count round trips. */
  onQuery?: (query: string) => void;
}

/** Opens the database and applies the migrations (safe when several servers start at once). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.maxConnections ?? 10, options.preparedStatements ?? true, loggerOf(options));
  const dir = options.pgliteDir ?? 'memory';
  if (dir !== 'memory') mkdirSync(dir, { recursive: true });
  return usePglite(dir === 'memory' ? new PGlite() : new PGlite(dir), options);
}

type QueryLogger = { logQuery: (query: string) => void } | undefined;

function loggerOf(options: Pick<DatabaseOptions, 'onQuery'>): QueryLogger {
  return options.onQuery ? { logQuery: options.onQuery } : undefined;
}

/**
 * A database on a PGlite instance the caller made (the benchmark shares one with its baseline
 * handler), migrated; `close` closes the instance.
 */
export async function usePglite(client: PGlite, options: Pick<DatabaseOptions, 'preparedStatements' | 'onQuery'> = {}): Promise<Database> {
  const db = drizzlePglite((options.preparedStatements ?? true) ? await preparingPglite(client) : client, { logger: loggerOf(options) });
  await migratePglite(db, { migrationsFolder });
  return { kind: 'pglite', db: db as unknown as Db, close: () => client.close() };
}

async function openPostgres(url: string, max: number, prepared: boolean, logger: QueryLogger): Promise<Database> {
  // Migrations run on one dedicated connection holding an advisory lock, so that servers
  // starting together on one database do not apply them twice.
  const migrator = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrator`select pg_advisory_lock(728301)`;
    await migratePostgres(drizzlePostgres(migrator), { migrationsFolder });
    await migrator`select pg_advisory_unlock(728301)`;
  } finally {
    await migrator.end();
  }
  // A database that is away must give a clear error soon, not hold requests for the driver's
  // default 30 s connect timeout.
  // Statements are prepared by name (one round trip each, `prepared-statements.ts`) but still
  // planned for their parameters, as unnamed ones are: a generic plan cannot tell that
  // `changed_tx >= $1` selects a handful of rows and would scan the whole table.
  const connection = prepared ? { plan_cache_mode: 'force_custom_plan' } : {};
  const client = postgres(url, { max, connect_timeout: 5, onnotice: () => {}, connection });
  const db = drizzlePostgres(prepared ? preparingClient(client) : client, { logger });
  return { kind: 'postgres', db: db as unknown as Db, close: () => client.end({ timeout: 5 }) };
}

/** The current transaction snapshot, as PostgreSQL prints it (`xmin:xmax:xip,...`). */
export async function currentSnapshot(db: Db): Promise<string> {
  const [row] = await queryRows<{ snapshot: string }>(db, sql`select pg_current_snapshot()::text as snapshot`);
  return row!.snapshot;
}
