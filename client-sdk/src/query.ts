/**
 * Simple filters and sorting for `list()`: equality or comparison per attribute, a predicate,
 * an order, and a page. Pure functions over the objects the app sees.
 */

/** Comparison operators for one attribute. */
export interface Operators<T> {
  eq?: T;
  ne?: T;
  in?: readonly T[];
  notIn?: readonly T[];
  lt?: NonNullable<T>;
  lte?: NonNullable<T>;
  gt?: NonNullable<T>;
  gte?: NonNullable<T>;
  /** Substring match, case-insensitive (string attributes). */
  contains?: string;
}

/** A condition on one attribute: a value to equal, or operators. */
export type Condition<T> = T | Operators<T>;

/** One sort key: an attribute name (ascending) or an attribute with a direction. */
export type OrderBy<V> = (keyof V & string) | { field: keyof V & string; direction?: 'asc' | 'desc' };

/** What `list()` accepts. Conditions in `where` are combined with AND. */
export interface ListQuery<V> {
  where?: { [K in keyof V]?: Condition<V[K]> };
  /** Any further condition, applied after `where`. */
  filter?: (object: V) => boolean;
  /** Sort keys in priority order; nulls sort last. Default: insertion order. */
  orderBy?: OrderBy<V> | readonly OrderBy<V>[];
  offset?: number;
  limit?: number;
}

const operatorNames = new Set(['eq', 'ne', 'in', 'notIn', 'lt', 'lte', 'gt', 'gte', 'contains']);

function isOperators(condition: unknown): condition is Operators<unknown> {
  return (
    typeof condition === 'object' &&
    condition !== null &&
    !Array.isArray(condition) &&
    Object.keys(condition).length > 0 &&
    Object.keys(condition).every((key) => operatorNames.has(key))
  );
}

function equal(a: unknown, b: unknown): boolean {
  return a === b || ((a === undefined || a === null) && (b === undefined || b === null));
}

/** Orders two attribute values; null and undefined sort after everything else. */
export function compareValues(a: unknown, b: unknown): number {
  const aMissing = a === null || a === undefined;
  const bMissing = b === null || b === undefined;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function matches(value: unknown, condition: unknown): boolean {
  if (!isOperators(condition)) return equal(value, condition);
  const c = condition;
  if ('eq' in c && !equal(value, c.eq)) return false;
  if ('ne' in c && equal(value, c.ne)) return false;
  if (c.in && !c.in.some((v) => equal(value, v))) return false;
  if (c.notIn && c.notIn.some((v) => equal(value, v))) return false;
  const present = value !== null && value !== undefined;
  if (c.lt !== undefined && !(present && compareValues(value, c.lt) < 0)) return false;
  if (c.lte !== undefined && !(present && compareValues(value, c.lte) <= 0)) return false;
  if (c.gt !== undefined && !(present && compareValues(value, c.gt) > 0)) return false;
  if (c.gte !== undefined && !(present && compareValues(value, c.gte) >= 0)) return false;
  if (c.contains !== undefined && !(typeof value === 'string' && value.toLowerCase().includes(c.contains.toLowerCase()))) {
    return false;
  }
  return true;
}

/** Applies a query to a list of objects. */
export function runQuery<V extends object>(objects: readonly V[], query: ListQuery<V> = {}): V[] {
  const where = Object.entries(query.where ?? {}) as [keyof V & string, unknown][];
  let result = objects.filter((object) => where.every(([field, condition]) => matches(object[field], condition)));
  if (query.filter) result = result.filter(query.filter);
  const orderBy = query.orderBy === undefined ? [] : Array.isArray(query.orderBy) ? query.orderBy : [query.orderBy];
  if (orderBy.length > 0) {
    const keys = (orderBy as readonly OrderBy<V>[]).map((key) =>
      typeof key === 'string' ? { field: key, sign: 1 } : { field: key.field, sign: key.direction === 'desc' ? -1 : 1 },
    );
    result = [...result].sort((a, b) => {
      for (const { field, sign } of keys) {
        const order = compareValues(a[field], b[field]);
        // Missing values stay last in both directions.
        if (order !== 0) return a[field] == null || b[field] == null ? order : order * sign;
      }
      return 0;
    });
  }
  const offset = query.offset ?? 0;
  return result.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
}
