import type { Sql } from 'postgres';
import { withMethods } from './with-methods.ts';

/**
 * Named prepared statements for drizzle's raw queries on PostgreSQL. drizzle runs `db.execute`
 * and every builder query without a name as an unnamed statement, and postgres.js sends an
 * unnamed statement with parameters in two round trips (parse + describe for the parameter types,
 * then bind + execute). A sync request runs a handful of small statements, so on a network the
 * second round trip of each is most of its latency. Prepared once per connection, a statement
 * takes one round trip from then on, and PostgreSQL plans it from its cache.
 *
 * Only statements with few parameters and short text are prepared: bulk writes and long
 * generated statements vary in shape and would fill every connection's statement cache with
 * statements used once. What is left is bounded by the code's query shapes, and postgres.js
 * replaces each connection after 30 to 60 minutes (`max_lifetime`), which empties its cache.
 * postgres.js re-prepares a statement that a schema change invalidated.
 */

/** Most parameters of a statement worth preparing. */
export const MAX_PREPARED_PARAMETERS = 64;
/** Longest statement text worth preparing. */
export const MAX_PREPARED_LENGTH = 8_192;

type UnsafeOptions = Parameters<Sql['unsafe']>[2];

/** Whether a statement is prepared by name. */
export function worthPreparing(query: string, parameters: readonly unknown[] | undefined): boolean {
  const count = parameters?.length ?? 0;
  return count > 0 && count <= MAX_PREPARED_PARAMETERS && query.length <= MAX_PREPARED_LENGTH;
}

/**
 * The client as drizzle should see it: `unsafe` prepares what is worth preparing, and the clients
 * handed to `begin` and `savepoint` callbacks (transactions) do the same.
 */
export function preparingClient<T extends Sql>(client: T): T {
  const methods: Record<string, unknown> = {
    unsafe: (query: string, parameters?: unknown[], options?: UnsafeOptions) =>
      client.unsafe(query, parameters as never, worthPreparing(query, parameters) ? { ...options, prepare: true } : options),
  };
  // A transaction's client (`begin`), and a savepoint's within it, prepare as well.
  for (const name of ['begin', 'savepoint']) {
    const method: unknown = Reflect.get(client, name);
    if (typeof method !== 'function') continue;
    methods[name] = (...args: unknown[]) => {
      const last = args.length - 1;
      const callback = args[last] as (sql: Sql) => unknown;
      args[last] = (sql: Sql) => callback(preparingClient(sql));
      return (method as (...a: unknown[]) => unknown).apply(client, args);
    };
  }
  return withMethods(client, methods);
}
