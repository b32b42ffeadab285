/**
 * `compute` remembered per header value: a client sends the same Accept and Host headers with
 * every request, and parsing them was a measurable part of a small request's work. At most `max`
 * values are kept; when full, the memory starts over (headers vary little, an LRU buys nothing).
 */
export function perHeaderValue<T>(compute: (value: string) => T, max = 64): (value: string) => T {
  const known = new Map<string, T>();
  return (value) => {
    if (known.has(value)) return known.get(value) as T;
    const result = compute(value);
    if (known.size >= max) known.clear();
    known.set(value, result);
    return result;
  };
}
