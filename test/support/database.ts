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

/**
 * Opens an empty, migrated database for one test file: PGlite in memory, or a fresh PostgreSQL
 * database that is dropped again on close.
 */
export async function openTestDatabase(): Promise<Database & { url?: string }> {
  if (!testDatabaseUrl) return openDatabase({ pgliteDir: 'memory' });
  const name = `sync_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = withDatabase(testDatabaseUrl, name);
  const database = await openDatabase({ url, maxConnections: 10 });
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      const dropper = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
