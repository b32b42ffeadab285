import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.ts';
import { openDatabase, type Database } from '../../server/src/db/connect.ts';
import { queryRows } from '../../server/src/db/query-rows.ts';
import { MAX_PREPARED_LENGTH, MAX_PREPARED_PARAMETERS, worthPreparing } from '../../server/src/db/prepared-statements.ts';
import type { Db } from '../../server/src/registry/define-entity.ts';
import { createPostgresTestDatabase, databaseKind, openTestDatabase, testDatabaseUrl } from '../support/database.ts';

describe('which statements are prepared by name', () => {
  it('prepares short statements with a few parameters', () => {
    expect(worthPreparing('select $1::int', [1])).toBe(true);
    expect(worthPreparing('select 1', [])).toBe(false); // no parameters: one round trip already
    expect(worthPreparing('select 1', undefined)).toBe(false);
    expect(worthPreparing('select …', new Array(MAX_PREPARED_PARAMETERS + 1).fill(1))).toBe(false);
    expect(worthPreparing(`select $1::text${' '.repeat(MAX_PREPARED_LENGTH)}`, ['x'])).toBe(false);
  });

  it('is on unless PG_PREPARED_STATEMENTS=false', () => {
    expect(loadConfig({}).preparedStatements).toBe(true);
    expect(loadConfig({ PG_PREPARED_STATEMENTS: 'false' }).preparedStatements).toBe(false);
  });
});

/** The statements this connection has prepared, as PostgreSQL lists them. */
async function preparedOnConnection(tx: Db): Promise<string[]> {
  const rows = await queryRows<{ statement: string }>(tx, sql`select statement from pg_prepared_statements`);
  return rows.map((row) => row.statement);
}

describe.skipIf(databaseKind !== 'postgres')('prepared statements on PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('runs a parameterized statement as a named prepared statement, in transactions and savepoints too', async () => {
    await database.db.transaction(async (tx) => {
      const [row] = await queryRows<{ x: number }>(tx as unknown as Db, sql`select ${41}::int + 1 as x`);
      expect(row!.x).toBe(42);
      await tx.transaction(async (nested) => {
        await queryRows(nested as unknown as Db, sql`select ${'savepoint'}::text as y`);
      });
      const prepared = await preparedOnConnection(tx as unknown as Db);
      expect(prepared).toContain('select $1::int + 1 as x');
      expect(prepared).toContain('select $1::text as y');
    });
  });

  it('leaves statements with many parameters unnamed', async () => {
    const values = Array.from({ length: MAX_PREPARED_PARAMETERS + 1 }, (_, i) => sql`${i}::int`);
    await database.db.transaction(async (tx) => {
      const [row] = await queryRows<{ n: number }>(tx as unknown as Db, sql`select cardinality(array[${sql.join(values, sql`, `)}]) as n`);
      expect(row!.n).toBe(MAX_PREPARED_PARAMETERS + 1);
      expect((await preparedOnConnection(tx as unknown as Db)).some((s) => s.startsWith('select cardinality'))).toBe(false);
    });
  });

  it('plans every execution for its parameters (no generic plan that ignores how selective they are)', async () => {
    const [row] = await queryRows<{ plan_cache_mode: string }>(database.db, sql`show plan_cache_mode`);
    expect(row!.plan_cache_mode).toBe('force_custom_plan');
  });

  it('can be turned off, for a connection pooler that cannot keep them', async () => {
    const created = await createPostgresTestDatabase(testDatabaseUrl!);
    const plain = await openDatabase({ url: created.url, preparedStatements: false });
    try {
      await plain.db.transaction(async (tx) => {
        await queryRows(tx as unknown as Db, sql`select ${7}::int as unprepared`);
        expect((await preparedOnConnection(tx as unknown as Db)).some((s) => s.includes('unprepared'))).toBe(false);
        const [row] = await queryRows<{ plan_cache_mode: string }>(tx as unknown as Db, sql`show plan_cache_mode`);
        expect(row!.plan_cache_mode).toBe('auto');
      });
    } finally {
      await plain.close();
      await created.drop();
    }
  });
});
