import { PGlite, types } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, usePglite } from '../../server/src/db/connect.ts';
import { queryRows } from '../../server/src/db/query-rows.ts';
import { MAX_PGLITE_STATEMENTS, preparingPglite } from '../../server/src/db/pglite-statements.ts';
import { MAX_PREPARED_PARAMETERS } from '../../server/src/db/prepared-statements.ts';
import type { Db } from '../../server/src/registry/define-entity.ts';

/**
 * PGlite runs drizzle's queries as named prepared statements (`pglite-statements.ts`). These run
 * on PGlite whatever database the rest of the suite uses: one instance for the file, the same
 * queries through the wrapper and through PGlite's own `query`, compared.
 */

let client: PGlite;
let prepared: PGlite;

/** The statements the wrapper prepared (by protocol messages, not by SQL `PREPARE`). */
async function preparedTexts(): Promise<string[]> {
  const { rows } = await client.query<{ statement: string }>('select statement from pg_prepared_statements where not from_sql');
  return rows.map((row) => row.statement);
}

beforeAll(async () => {
  client = new PGlite();
  prepared = await preparingPglite(client);
  await client.exec(`
    create table item (id text primary key, n int not null, tags text[] not null default '{}', doc jsonb, due date, at timestamptz);
    insert into item values ('a', 1, '{x,y}', '{"k": 1}', '2026-01-02', '2026-01-02T03:04:05Z'), ('b', 2, '{}', null, null, null);
  `);
}, 30_000);

afterAll(async () => {
  await client.close();
});

describe('named statements on PGlite', () => {
  it('answers exactly as PGlite’s own query, for every parameter and column kind drizzle uses', async () => {
    // drizzle's row-mode and parsers (it keeps dates as text) as its PGlite session passes them.
    const options = { rowMode: 'array' as const, parsers: { [types.DATE]: (value: string) => value, [types.TIMESTAMPTZ]: (value: string) => value } };
    const cases: [string, unknown[]][] = [
      ['select * from item where id = $1 and n >= $2 order by id', ['a', 1]],
      ['select id, doc from item where id = any($1) order by id', [['a', 'b']]],
      ['select $1::jsonb as doc, $2::text[] as tags, $3::date as due', [{ k: [1, 2] }, ['p', 'q'], '2026-03-04']],
      ['select $1::int as nothing', [null]],
      ['select count(*) as n from item', []],
    ];
    for (const [text, params] of cases) {
      const plain = await client.query(text, params, options);
      const fast = await prepared.query(text, params, options);
      expect(fast).toEqual(plain);
    }
    expect(await preparedTexts()).toEqual(expect.arrayContaining(cases.map(([text]) => text)));
  });

  it('prepares a statement once and runs it again by name', async () => {
    const text = 'select n from item where id = $1';
    expect((await prepared.query<{ n: number }>(text, ['a'])).rows).toEqual([{ n: 1 }]);
    expect((await prepared.query<{ n: number }>(text, ['b'])).rows).toEqual([{ n: 2 }]);
    expect((await preparedTexts()).filter((t) => t === text)).toHaveLength(1);
  });

  it('runs with every execution planned for its parameters', async () => {
    const { rows } = await prepared.query<{ plan_cache_mode: string }>('show plan_cache_mode');
    expect(rows[0]!.plan_cache_mode).toBe('force_custom_plan');
  });

  it('fails as PGlite’s query fails, with the code and the query, and runs the next statement', async () => {
    const text = 'insert into item (id, n) values ($1, $2)';
    const failure = await prepared.query(text, ['a', 9]).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: '23505', query: text, params: ['a', 9] });
    const syntax = await prepared.query('selec $1', [1]).catch((error: unknown) => error);
    expect(syntax).toMatchObject({ code: '42601', query: 'selec $1' });
    expect((await prepared.query('select n from item where id = $1', ['b'])).rows).toEqual([{ n: 2 }]);
  });

  it('keeps transactions, savepoints and rollbacks working through drizzle', async () => {
    const db = drizzle(prepared) as unknown as Db;
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into item (id, n) values (${'t1'}, ${10})`);
      await tx
        .transaction(async (nested) => {
          await nested.execute(sql`insert into item (id, n) values (${'t2'}, ${11})`);
          throw new Error('roll the savepoint back');
        })
        .catch(() => undefined);
    });
    await db
      .transaction(async (tx) => {
        await tx.execute(sql`insert into item (id, n) values (${'t3'}, ${12})`);
        await tx.execute(sql`insert into item (id, n) values (${'t3'}, ${13})`);
      })
      .catch(() => undefined);
    const rows = await queryRows<{ id: string }>(db, sql`select id from item where id like ${'t%'} order by id`);
    expect(rows.map((row) => row.id)).toEqual(['t1']);
  });

  it('prepares again a statement the backend dropped or a schema change made stale', async () => {
    const text = 'select * from item where id = $1';
    await prepared.query(text, ['a']);
    await client.exec('deallocate all');
    expect((await prepared.query<{ n: number }>(text, ['a'])).rows[0]!.n).toBe(1);
    await client.exec('alter table item add column extra int default 7');
    expect((await prepared.query<{ extra: number }>(text, ['a'])).rows[0]!.extra).toBe(7);
  });

  it(`keeps at most ${MAX_PGLITE_STATEMENTS} statements, closing the least recently used`, async () => {
    await client.exec('deallocate all');
    const keep = 'select n from item where id = $1 /* kept in use */';
    for (let i = 0; i < MAX_PGLITE_STATEMENTS + 20; i++) {
      await prepared.query(`select $1::int + ${i} as n`, [i]);
      if (i % 50 === 0) await prepared.query(keep, ['a']);
    }
    await prepared.query('select 1 as flush where $1', [true]);
    const texts = await preparedTexts();
    expect(texts.length).toBeLessThanOrEqual(MAX_PGLITE_STATEMENTS);
    expect(texts).toContain(keep);
    expect(texts).not.toContain('select $1::int + 0 as n');
  });

  it('leaves long statements to PGlite’s query', async () => {
    const values = Array.from({ length: MAX_PREPARED_PARAMETERS + 1 }, (_, i) => `$${i + 1}::int`).join(', ');
    const text = `select cardinality(array[${values}]) as n`;
    const { rows } = await prepared.query<{ n: number }>(text, Array.from({ length: MAX_PREPARED_PARAMETERS + 1 }, (_, i) => i));
    expect(rows[0]!.n).toBe(MAX_PREPARED_PARAMETERS + 1);
    expect(await preparedTexts()).not.toContain(text);
  });
});

describe('the server’s PGlite database', () => {
  it('prepares its statements, unless PG_PREPARED_STATEMENTS=false turns it off', async () => {
    const on = await usePglite(new PGlite());
    const off = await openDatabase({ pgliteDir: 'memory', preparedStatements: false });
    try {
      const statement = sql`select ${5}::int as five`;
      const listed = sql`select count(*)::int as n from pg_prepared_statements where statement = 'select $1::int as five'`;
      await queryRows(on.db, statement);
      await queryRows(off.db, statement);
      expect((await queryRows<{ n: number }>(on.db, listed))[0]!.n).toBe(1);
      expect((await queryRows<{ n: number }>(off.db, listed))[0]!.n).toBe(0);
    } finally {
      await on.close();
      await off.close();
    }
  }, 30_000);
});
