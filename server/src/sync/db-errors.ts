/** Reading PostgreSQL errors the same way from both drivers (and through drizzle's wrapping). */

interface PgErrorFields {
  code?: unknown;
  constraint?: unknown;
  constraint_name?: unknown;
  cause?: unknown;
}

function fieldsOf(error: unknown): PgErrorFields | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as PgErrorFields).cause, depth++) {
    if (typeof (e as PgErrorFields).code === 'string') return e as PgErrorFields;
  }
  return undefined;
}

/** The SQLSTATE of a database error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  return fieldsOf(error)?.code as string | undefined;
}

/** The constraint a database error names, if any. */
export function constraintOf(error: unknown): string | undefined {
  const fields = fieldsOf(error);
  const name = fields?.constraint ?? fields?.constraint_name;
  return typeof name === 'string' ? name : undefined;
}

/** Class 23: the data broke a constraint (unique, check, not null, foreign key). */
export function isIntegrityViolation(error: unknown): boolean {
  return sqlState(error)?.startsWith('23') ?? false;
}

/** Serialization failures and deadlocks: a retry of the whole transaction resolves them. */
export function isTransientConflict(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40001' || state === '40P01';
}
