import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { openDatabase, usePglite, type Database } from '../server/src/db/connect.ts';

/**
 * A fresh, migrated database for one benchmark server process, with a raw query function for the
 * baselines and the data set: PGlite in memory (shared by server and baseline, as PGlite lives in
 * the process), or a PostgreSQL database created for the run and dropped at the end, like the
 * test suite's.
 */

/** A row of a raw query. */
export type RawRow = Record<string, unknown>;

/** Runs one SQL statement. */
export type RawQuery = (text: string, params?: unknown[]) => Promise<RawRow[]>;

export interface BenchDatabase {
  kind: 'pglite' | 'postgres';
  /** What the sync server runs on. */
  database: Database;
  /** Runs one SQL statement without the sync server's layers. */
  query(text: string, params?: unknown[]): Promise<RawRow[]>;
  /** Runs `work` in one transaction, its statements through the `query` it is given. */
  transaction<T>(work: (query: RawQuery) => Promise<T>): Promise<T>;
  /** Closes every connection (and drops a PostgreSQL database). */
  close(): Promise<void>;
}

/** `PG_PREPARED_STATEMENTS=false` runs the sync server without named statements, as the server's config would (for A/B runs). */
const preparedStatements = process.env.PG_PREPARED_STATEMENTS !== 'false';

/** Opens a new database: on the PostgreSQL server of `baseUrl` when given, else PGlite in memory. */
export function openBenchDatabase(baseUrl: string | undefined): Promise<BenchDatabase> {
  return baseUrl ? openPostgres(baseUrl) : openPglite();
}

async function openPglite(): Promise<BenchDatabase> {
  const client = new PGlite();
  // The server's database is the sync server's own PGlite setup (named statements included); the
  // baseline runs its SQL through PGlite's plain `query`, as it runs postgres.js' `unsafe`.
  const database = await usePglite(client, { preparedStatements });
  return {
    kind: 'pglite',
    database: { ...database, close: async () => {} },
    query: async (text, params) => (await client.query<RawRow>(text, params)).rows,
    transaction: (work) => client.transaction((tx) => work(async (text, params) => (await tx.query<RawRow>(text, params)).rows)),
    close: () => client.close(),
  };
}

async function openPostgres(baseUrl: string): Promise<BenchDatabase> {
  const name = `sync_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: 10, preparedStatements });
  const raw = postgres(url.toString(), { max: 10, onnotice: () => {} });
  return {
    kind: 'postgres',
    database,
    query: (text, params) => raw.unsafe<RawRow[]>(text, params as postgres.ParameterOrJSON<never>[] | undefined),
    transaction: async (work) =>
      (await raw.begin((tx) => work((text, params) => tx.unsafe<RawRow[]>(text, params as postgres.ParameterOrJSON<never>[] | undefined)))) as Awaited<ReturnType<typeof work>>,
    close: async () => {
      await raw.end({ timeout: 5 });
      await database.close();
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
