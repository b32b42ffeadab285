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
 * The containers `deepFreeze` froze that hold, at any depth, something structured cloning would
 * not copy faithfully (a function, a Date, a class instance). Rare, so that looking a frozen
 * container up costs next to nothing.
 */
const impure = new WeakSet<object>();

/**
 * Freezes a value and the plain objects and arrays in it, in place, and returns it. A subtree
 * that is already frozen is taken as frozen throughout (this module only ever freezes deeply);
 * `isFrozenData` does not rely on that, `freezeRecord` does.
 */
export function deepFreeze<T>(value: T): T {
  freeze(value);
  return value;
}

/** `deepFreeze`, telling whether the value is plain data (see `freezeRecord`). */
function freeze(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function' && typeof value !== 'symbol';
  if (!isPlainContainer(value)) return false;
  if (Object.isFrozen(value)) return !impure.has(value);
  Object.freeze(value);
  let plain = true;
  for (const key in value) {
    if (!freeze((value as Record<string, unknown>)[key])) plain = false;
  }
  if (!plain) impure.add(value);
  return plain;
}

/**
 * Deep-freezes a record (like `deepFreeze`) and tells, at the cost of one look-up for a record
 * frozen before, whether it is now frozen plain data: true unless `deepFreeze` met something else
 * in it. Unlike `isFrozenData` it trusts that a frozen part was frozen by this module, which holds
 * for the records the local database makes (app values are copies, server objects parsed JSON).
 */
export function freezeRecord(value: unknown): boolean {
  return freeze(value);
}

/**
 * Freezes `shell`, a new plain object whose only part that is not a primitive is `part`, and
 * deep-freezes `part`: `deepFreeze(shell)` without walking the shell's own fields. Tells, as
 * `freezeRecord` would after it, whether the shell is now frozen plain data.
 */
export function freezeAround(shell: object, part: unknown): boolean {
  Object.freeze(shell);
  if (freeze(part)) return true;
  impure.add(shell);
  return false;
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
