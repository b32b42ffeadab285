import { randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { bigint, boolean, date, doublePrecision, integer, jsonb, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrizzleQueryError } from 'drizzle-orm';
import type { Database } from '../../server/src/db/connect.ts';
import { queryRows } from '../../server/src/db/query-rows.ts';
import { sqlState } from '../../server/src/sync/db-errors.ts';
import { syncColumns } from '../../server/src/registry/system-columns.ts';
import { selectRows, selectRowsWith } from '../../server/src/sync/row-select.ts';
import { openTestDatabase } from '../support/database.ts';

/** `selectRows` must hand back exactly what drizzle's `select().from(table)` does, column type by column type. */

const kinds = pgTable('row_select_kinds', {
  ...syncColumns(),
  label: text('label'),
  quoted: text('Odd "Name"'),
  amount: integer('amount'),
  big: bigint('big', { mode: 'number' }),
  money: numeric('money', { precision: 12, scale: 2 }),
  ratio: doublePrecision('ratio'),
  done: boolean('done'),
  day: date('day', { mode: 'string' }),
  dayAsDate: date('day_as_date', { mode: 'date' }),
  at: timestamp('at', { withTimezone: true, mode: 'date' }),
  atText: timestamp('at_text', { withTimezone: true, mode: 'string' }),
  plain: timestamp('plain', { mode: 'date' }),
  data: jsonb('data'),
  tags: text('tags').array(),
  owner: uuid('owner'),
});

describe('selectRows', () => {
  let database: Database;
  const ids = [randomUUID(), randomUUID(), randomUUID()].sort();

  beforeAll(async () => {
    database = await openTestDatabase();
    await database.db.execute(
      sql.raw(`create table row_select_kinds (id uuid primary key, version integer default 1 not null,
        created_at timestamptz default now() not null, changed_at timestamptz default now() not null,
        changed_tx xid8 default pg_current_xact_id() not null, label text, "Odd ""Name""" text, amount integer, big bigint,
        money numeric(12, 2), ratio double precision, done boolean, day date, day_as_date date, at timestamptz,
        at_text timestamptz, plain timestamp, data jsonb, tags text[], owner uuid)`),
    );
    await database.db.insert(kinds).values([
      {
        id: ids[0]!,
        label: 'quote " backslash \\ unicode é 😀',
        quoted: 'odd',
        amount: -2147483648,
        big: 9007199254740991,
        money: '1234.50',
        ratio: 0.1 + 0.2,
        done: false,
        day: '2026-02-28',
        dayAsDate: new Date('2026-03-01T00:00:00Z'),
        at: new Date('2026-11-26T10:11:12.345Z'),
        atText: '2026-11-26 10:11:12.345+00',
        plain: new Date('2026-11-26T10:11:12.345Z'),
        data: { nested: [1, 'two', null, { three: true }] },
        tags: ['a', 'b"c'],
        owner: randomUUID(),
      },
      { id: ids[1]! },
      { id: ids[2]!, label: 'third', data: [1, 2], tags: [] },
    ]);
  });
  afterAll(async () => {
    await database.close();
  });

  it('returns the rows drizzle selects, every column decoded alike', async () => {
    const expected = await database.db.select().from(kinds).orderBy(asc(kinds.id));
    const rows = await selectRows(database.db, kinds, { orderById: true });
    expect(rows).toEqual(expected);
    expect(rows[0]!.at).toBeInstanceOf(Date);
    expect(rows.map((row) => row.id)).toEqual(ids);
  });

  it('filters and limits', async () => {
    expect(await selectRows(database.db, kinds, { where: eq(kinds.id, ids[1]!) })).toEqual(await database.db.select().from(kinds).where(eq(kinds.id, ids[1]!)));
    expect((await selectRows(database.db, kinds, { orderById: true, limit: 2 })).map((row) => row.id)).toEqual(ids.slice(0, 2));
    expect(await selectRows(database.db, kinds, { where: eq(kinds.label, 'nobody') })).toEqual([]);
  });

  it('selects by a list of ids: none, UUIDs, and text ids that need escaping in the array literal', async () => {
    expect((await selectRows(database.db, kinds, { ids: [ids[2]!, ids[0]!], orderById: true })).map((row) => row.id)).toEqual([ids[0], ids[2]]);
    expect(await selectRows(database.db, kinds, { ids: [] })).toEqual([]);
    const named = pgTable('row_select_text_ids', { id: text('id').primaryKey(), label: text('label') });
    await database.db.execute(sql.raw(`create table row_select_text_ids (id text primary key, label text)`));
    const odd = ['quote " in it', 'back\\slash', 'comma, brace }', 'plain'];
    await database.db.insert(named).values(odd.map((id) => ({ id, label: id.length.toString() })));
    const found = await selectRows(database.db, named, { ids: new Set(odd.slice(0, 3)) });
    expect(found.map((row) => row.id).sort()).toEqual(odd.slice(0, 3).sort());
  });

  it('reads a value beside each row, and locks the rows it reads when asked', async () => {
    const expected = await database.db.select().from(kinds).orderBy(asc(kinds.id));
    const marked = await selectRowsWith<boolean>(database.db, kinds, sql`${kinds.label} is not null`, { orderById: true });
    expect(marked).toEqual(expected.map((row) => ({ row, extra: row.label !== null })));

    const locksAfter = (forUpdate: boolean) =>
      database.db.transaction(async (tx) => {
        await selectRowsWith(tx, kinds, sql`true`, { where: eq(kinds.id, ids[0]!), forUpdate });
        const locks = await queryRows<{ mode: string }>(tx, sql`select mode from pg_locks where pid = pg_backend_pid() and relation = 'row_select_kinds'::regclass`);
        return locks.map((lock) => lock.mode);
      });
    expect(await locksAfter(true)).toContain('RowShareLock');
    expect(await locksAfter(false)).not.toContain('RowShareLock');
  });

  it('queryRows answers what db.execute answers, in a transaction too, and fails as it fails', async () => {
    const query = sql`select *, timestamptz '2026-11-26 10:11:12.345+00' as fixed_at, interval '1 day' as span, array[date '2026-01-02'] as days from row_select_kinds order by id`;
    const rowsOf = (result: unknown) => (Array.isArray(result) ? [...result] : (result as { rows: unknown[] }).rows);
    const expected = rowsOf(await database.db.execute(query));
    expect(expected).toHaveLength(3);
    expect(await queryRows(database.db, query)).toEqual(expected);
    await database.db.transaction(async (tx) => {
      expect(await queryRows(tx, query)).toEqual(rowsOf(await tx.execute(query)));
    });
    const failure = await queryRows(database.db, sql`select * from no_such_table where id = ${ids[0]}`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DrizzleQueryError);
    expect((failure as DrizzleQueryError).message).toMatch(/^Failed query: select \* from no_such_table where id = \$1\nparams: /);
    expect(sqlState(failure)).toBe('42P01');
  });
});
