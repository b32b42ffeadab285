import { sql } from 'drizzle-orm';
import { integer, PgDialect, pgTable, text } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { compileSql } from '../../server/src/db/compiled-sql.ts';

const things = pgTable('things', { id: integer('id'), name: text('name') });
const dialect = new PgDialect();

describe('compileSql', () => {
  it('builds, once, the statement drizzle would build with the values in place', () => {
    const compiled = compileSql<{ low: number; name: string }>(
      sql`select ${things.id} from ${things} where ${things.id} >= ${sql.placeholder('low')} and ${things.name} in (${'a'}, ${sql.placeholder('name')}) or ${things.id} = ${sql.placeholder('low')}`,
    );
    const direct = sql`select ${things.id} from ${things} where ${things.id} >= ${5} and ${things.name} in (${'a'}, ${'b'}) or ${things.id} = ${5}`;
    expect(dialect.sqlToQuery(compiled({ low: 5, name: 'b' }))).toEqual(dialect.sqlToQuery(direct));
    expect(dialect.sqlToQuery(compiled({ low: 7, name: 'c' })).params).toEqual([7, 'a', 'c', 7]);
  });

  it('refuses a value it was not given, and text that holds a parameter marker of its own', () => {
    const compiled = compileSql<{ low: number }>(sql`select ${sql.placeholder('low')}::int`);
    expect(() => compiled({} as { low: number })).toThrow(/low/);
    expect(() => compileSql(sql`select ${sql.raw("'$1'")}, ${sql.placeholder('x')}`)).toThrow(/\$<n>/);
  });
});
