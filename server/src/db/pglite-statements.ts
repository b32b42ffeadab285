import { parse, protocol, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';
import { MAX_PREPARED_LENGTH, MAX_PREPARED_PARAMETERS } from './prepared-statements.ts';
import { withMethods } from './with-methods.ts';

/**
 * Named prepared statements for drizzle's queries on PGlite. PGlite's `query` runs a statement
 * as six calls into its WebAssembly backend (parse, describe the statement, bind, describe the
 * portal, execute, sync), parsing and analysing the text every time: about 170–220 µs for a
 * one-row select on the benchmark machine, more than the rest of a selective sync's database
 * work. Prepared once by name, a statement runs as one call holding bind, describe, execute and
 * sync: about 80 µs. The answer is parsed by PGlite's own `parseResults`, with the parameters
 * serialized by PGlite's serializers for the types the statement was described with, so the
 * rows, fields and errors are the ones `query` gives.
 *
 * Statements with at most `MAX_PREPARED_PARAMETERS` parameters and `MAX_PREPARED_LENGTH`
 * characters are prepared (as on PostgreSQL, but those without parameters too: PGlite gives them
 * the same six calls), at most `MAX_PGLITE_STATEMENTS` of them, the least recently used closed
 * first; anything else (and any call with options this path does not mirror) goes to PGlite's
 * `query`. PGlite is one session,
 * so it runs with `plan_cache_mode = force_custom_plan`, as the PostgreSQL connections do: each
 * execution is planned for its parameters.
 */

/** Most statements kept prepared; the least recently used is closed to make room. */
export const MAX_PGLITE_STATEMENTS = 256;

const { serialize } = protocol;

interface Statement {
  name: string;
  /** The parameter types PostgreSQL inferred, by position (PGlite serializes values by them). */
  parameterTypes: number[];
}

/** The statements prepared on one PGlite instance, oldest use first. */
class StatementCache {
  private readonly statements = new Map<string, Statement>();
  private counter = 0;
  /** Statements evicted but not closed yet: closed ahead of the next execution. */
  private closing: string[] = [];

  get(text: string): Statement | undefined {
    const statement = this.statements.get(text);
    if (statement) {
      this.statements.delete(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  nextName(): string {
    return `drizzle_${++this.counter}`;
  }

  add(text: string, statement: Statement): void {
    this.statements.set(text, statement);
    if (this.statements.size <= MAX_PGLITE_STATEMENTS) return;
    const [oldest] = this.statements;
    this.statements.delete(oldest![0]);
    this.closing.push(oldest![1].name);
  }

  /** Forgets a statement the backend no longer has or can no longer run. */
  forget(text: string): void {
    const statement = this.statements.get(text);
    if (!statement) return;
    this.statements.delete(text);
    this.closing.push(statement.name);
  }

  /** The Close messages for evicted statements, once. */
  takeClosing(): Uint8Array[] {
    const messages = this.closing.map((name) => serialize.close({ type: 'S', name }));
    this.closing = [];
    return messages;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

interface DatabaseErrorLike extends Error {
  code?: string;
  query?: string;
  params?: unknown[];
  queryOptions?: QueryOptions;
}

/** A statement the backend dropped, or one a schema change made unusable: prepare it again. */
function isStale(error: DatabaseErrorLike): boolean {
  return error.code === '26000' || (error.code === '0A000' && error.message.startsWith('cached plan must not change result type'));
}

/** Whether a call runs as a named statement: a short statement, called with what drizzle passes (a row mode, parsers). */
function prepares(text: string, params: unknown[] | undefined, options: QueryOptions | undefined): boolean {
  const plain = !options || (options.paramTypes === undefined && options.blob === undefined);
  return plain && (params?.length ?? 0) <= MAX_PREPARED_PARAMETERS && text.length <= MAX_PREPARED_LENGTH;
}

/** The wrapper's side of one PGlite instance. */
class PreparedRunner {
  private readonly cache = new StatementCache();
  constructor(private readonly client: PGlite) {}

  async run<T>(text: string, params: unknown[], options: QueryOptions | undefined, inTransaction: boolean): Promise<Results<T>> {
    try {
      return await this.execute<T>(text, params, options, inTransaction);
    } catch (error) {
      const failure = error as DatabaseErrorLike;
      if (!isStale(failure)) throw this.decorate(failure, text, params, options);
      this.cache.forget(text);
      // In a transaction the failure aborted it: only the caller can start again.
      if (inTransaction) throw this.decorate(failure, text, params, options);
      return this.execute<T>(text, params, options, inTransaction).catch((again: DatabaseErrorLike) => {
        throw this.decorate(again, text, params, options);
      });
    }
  }

  private async execute<T>(text: string, params: unknown[], options: QueryOptions | undefined, inTransaction: boolean): Promise<Results<T>> {
    const exec = (parts: Uint8Array[]) => this.client.execProtocol(concat([...this.cache.takeClosing(), ...parts]), { syncToFs: false, onNotice: options?.onNotice });
    let statement = this.cache.get(text);
    if (!statement) {
      const name = this.cache.nextName();
      const { messages } = await exec([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]);
      const description = messages.find((message) => message.name === 'parameterDescription') as { dataTypeIDs?: number[] } | undefined;
      statement = { name, parameterTypes: description?.dataTypeIDs ?? [] };
      this.cache.add(text, statement);
    }
    const { parameterTypes } = statement;
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const type = parameterTypes[i]!;
      const serializer = options?.serializers?.[type] ?? this.client.serializers[type];
      return serializer ? serializer(value) : String(value);
    });
    const { messages } = await exec([serialize.bind({ statement: statement.name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]);
    if (!inTransaction) await this.client.syncToFs();
    if (!options?.parsers) return parse.parseResults(messages, this.client.parsers, options)[0] as Results<T>;
    // `parseResults` would merge the call's parsers (drizzle passes some with every query) into
    // the client's by spreading both objects, integer-keyed, on every call: ~15 µs. The client's
    // parsers as the prototype of the call's are the same look-up, made in a fraction of that.
    const parsers: PGlite['parsers'] = Object.assign(Object.create(this.client.parsers) as PGlite['parsers'], options.parsers);
    return parse.parseResults(messages, parsers, { ...options, parsers: undefined })[0] as Results<T>;
  }

  /** The error as PGlite's `query` throws it: the database's error with the query attached. */
  private decorate(error: DatabaseErrorLike, text: string, params: unknown[], options: QueryOptions | undefined): Error {
    if (error.code === undefined) return error;
    error.query = text;
    error.params = params;
    error.queryOptions = options;
    return error;
  }
}

/**
 * The PGlite client as drizzle should see it: `query` runs what is worth preparing as a named
 * statement, and so does the client handed to a `transaction` callback. Everything else is
 * PGlite's own.
 */
export async function preparingPglite(client: PGlite): Promise<PGlite> {
  await client.exec('set plan_cache_mode = force_custom_plan');
  const runner = new PreparedRunner(client);

  function transactionClient(tx: Transaction): Transaction {
    const query = <T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> => {
      if (!prepares(text, params, options)) return tx.query<T>(text, params, options);
      if (tx.closed) return Promise.reject(new Error('Transaction is closed'));
      return client._runExclusiveQuery(() => runner.run<T>(text, params ?? [], options, true));
    };
    return withMethods(tx, { query });
  }

  const query = async <T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> => {
    if (!prepares(text, params, options)) return client.query<T>(text, params, options);
    await client._checkReady();
    return client._runExclusiveTransaction(() => client._runExclusiveQuery(() => runner.run<T>(text, params ?? [], options, false)));
  };
  const transaction = <T>(callback: (tx: Transaction) => Promise<T>) => client.transaction((tx) => callback(transactionClient(tx)));
  return withMethods(client, { query, transaction });
}
