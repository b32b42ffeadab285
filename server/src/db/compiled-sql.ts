import { fillPlaceholders, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

/**
 * A statement drizzle builds once, run many times with other parameter values. Building a query
 * walks every chunk of it (tables, columns, nested conditions) on every run; for a statement a
 * request runs every time, like the idle sync's change probe, that walk cost more than the rest of
 * its server-side work. Here the statement is built once with `sql.placeholder(name)` where the
 * values go, and each run hands drizzle only the finished text pieces and the values.
 */

const dialect = new PgDialect();

/** Fills a compiled statement's placeholders: the SQL to run. */
export type CompiledSql<Values extends Record<string, unknown>> = (values: Values) => SQL;

/** Compiles a query whose values are `sql.placeholder(…)`s (and constants). */
export function compileSql<Values extends Record<string, unknown>>(query: SQL): CompiledSql<Values> {
  const built = dialect.sqlToQuery(query);
  const pieces = built.sql.split(/\$\d+/);
  // Every `$n` is one of drizzle's parameters, in order; the text itself must hold none.
  if (pieces.length !== built.params.length + 1) throw new Error(`compileSql: the statement's text holds a "$<n>" of its own: ${built.sql}`);
  const strings = Object.assign([...pieces], { raw: pieces }) as unknown as TemplateStringsArray;
  return (values) => sql(strings, ...fillPlaceholders(built.params, values));
}
