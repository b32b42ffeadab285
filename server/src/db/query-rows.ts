import { types, type PGlite } from '@electric-sql/pglite';
import { DrizzleQueryError, is, type SQL } from 'drizzle-orm';
import { PgliteSession } from 'drizzle-orm/pglite';
import { PostgresJsSession } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import type { Db } from '../registry/define-entity.ts';

/**
 * What `queryRows` reads of a drizzle database or transaction: its dialect, and its session's
 * driver client and logger. These are drizzle internals (present on both drivers' sessions).
 */
interface DrizzleInternals {
  dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } };
  session: { client: unknown; logger: { logQuery(query: string, params: unknown[]): void } };
}

/** Runs a statement's text on the driver and answers its rows as objects. */
type RunRows = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * The value parsers drizzle's PGlite session passes with every raw query: date and time types
 * (and their arrays) stay text, for the columns' own `mapFromDriverValue` to decode.
 */
const keepText = (value: string) => value;
const PGLITE_RAW_QUERY = {
  rowMode: 'object' as const,
  // numeric[], timestamp[], timestamptz[], interval[], date[] by their type oids, as drizzle lists them.
  parsers: Object.fromEntries([types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map((oid) => [oid, keepText])),
};

/** The driver call of a session (one per database and per transaction), made once. */
const runners = new WeakMap<object, RunRows | null>();

function runnerOf(session: DrizzleInternals['session']): RunRows | null {
  const { client } = session;
  if (is(session, PostgresJsSession)) {
    const sql = client as postgres.Sql;
    return (text, params) => sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
  }
  if (is(session, PgliteSession)) {
    const pglite = client as Pick<PGlite, 'query'>;
    return async (text, params) => (await pglite.query<Record<string, unknown>>(text, params, PGLITE_RAW_QUERY)).rows;
  }
  return null;
}

/**
 * Rows of a raw query, as `db.execute` gives them (the two drivers shape results differently).
 * The statement goes straight to the driver, as drizzle's `execute` would send it (same text,
 * parameters and value parsers, logged the same, a failure wrapped the same): drizzle's query
 * objects around that call cost a selective sync's one read ~25 µs of server CPU, a tenth of
 * the server's work for it.
 */
export async function queryRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const { dialect, session } = db as unknown as DrizzleInternals;
  let run = runners.get(session);
  if (run === undefined) {
    run = runnerOf(session);
    runners.set(session, run);
  }
  if (!run) {
    const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
    return Array.isArray(result) ? result : result.rows;
  }
  const built = dialect.sqlToQuery(query);
  session.logger.logQuery(built.sql, built.params);
  try {
    return (await run(built.sql, built.params)) as T[];
  } catch (error) {
    throw new DrizzleQueryError(built.sql, built.params, error as Error);
  }
}
