/**
 * Frozen plain data: the objects the local database keeps are deeply frozen, so that they can be
 * shared instead of copied (a storage adapter may keep them as they are: nobody can change them).
 * Plain data means what structured cloning copies faithfully: primitives, and plain objects and
 * arrays of them. Everything else (a Date, bytes, a class instance) is left as it is.
 */

function isPlainContainer(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null || (prototype === Array.prototype && Array.isArray(value));
}

/**
 * Freezes a value and the plain objects and arrays in it, in place, and returns it. A subtree
 * that is already frozen is taken as frozen throughout (this module only ever freezes deeply);
 * `isFrozenData` does not rely on that.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || !isPlainContainer(value)) return value;
  Object.freeze(value);
  for (const key in value) {
    const child: unknown = value[key];
    if (typeof child === 'object' && child !== null) deepFreeze(child);
  }
  return value;
}

/**
 * True when a value cannot change and structured cloning would copy it faithfully: a primitive,
 * or a frozen plain object or array of such values, all the way down. Such a value is as good as
 * a copy of itself. (Getters are not looked for: plain data has none, and checking every property
 * for one would cost more than the copy it saves.)
 */
export function isFrozenData(value: unknown): boolean {
  if (typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  return value === null || isFrozenContainer(value);
}

function isFrozenContainer(value: object): boolean {
  if (!Object.isFrozen(value) || !isPlainContainer(value)) return false;
  for (const key in value) {
    const child: unknown = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' ? child !== null && !isFrozenContainer(child) : typeof child === 'function' || typeof child === 'symbol') return false;
  }
  return true;
}
