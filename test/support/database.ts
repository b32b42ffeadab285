import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../server/src/db/connect.ts';

/** The PostgreSQL the suite runs against, when one is configured; otherwise PGlite. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;

export const databaseKind = testDatabaseUrl ? 'postgres' : 'pglite';

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Creates an empty PostgreSQL database on the test server; `drop` removes it again. */
export async function createPostgresTestDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sync_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  return {
    url: withDatabase(baseUrl, name),
    drop: async () => {
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

/**
 * Opens an empty, migrated database for one test file: PGlite in memory, or a fresh PostgreSQL
 * database that is dropped again on close.
 */
export async function openTestDatabase(options: { onQuery?: (query: string) => void } = {}): Promise<Database & { url?: string }> {
  if (!testDatabaseUrl) return openDatabase({ pgliteDir: 'memory', ...options });
  const created = await createPostgresTestDatabase(testDatabaseUrl);
  const database = await openDatabase({ url: created.url, maxConnections: 10, ...options });
  return {
    ...database,
    url: created.url,
    close: async () => {
      await database.close();
      await created.drop();
    },
  };
}
