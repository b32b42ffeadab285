/**
 * A database client with some of its methods replaced, as a driver wrapper hands it to drizzle:
 * the replacements are made once, and every other property is the client's own (methods bound to
 * it, so that private fields keep working through the proxy).
 */
export function withMethods<T extends object>(target: T, methods: Readonly<Record<string, unknown>>): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(methods, key)) return methods[key];
      const value: unknown = Reflect.get(object, key, receiver);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
