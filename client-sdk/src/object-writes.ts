import type { LocalObject } from './local-object.ts';

/**
 * The objects a store transaction writes, by entity and then by id (null: removes the object).
 * Keyed as the store indexes its objects, so that staging a downloaded object costs no key made
 * of its entity and id (the id the server sent is the key), and a download's map of an entity the
 * device has no objects of can become that entity's index as it is.
 */
export type ObjectWrites<T extends LocalObject | null = LocalObject | null> = Map<string, Map<string, T>>;

/** What `writes` says of one object: its record, null (removed) or undefined (not written). */
export function writtenObject<T extends LocalObject | null>(writes: ObjectWrites<T>, entity: string, id: string): T | undefined {
  return writes.get(entity)?.get(id);
}

/** Sets what `writes` says of one object (a record, or null to remove it). */
export function setWrite<T extends LocalObject | null>(writes: ObjectWrites<T>, entity: string, id: string, object: T): void {
  let byId = writes.get(entity);
  if (!byId) writes.set(entity, (byId = new Map()));
  byId.set(id, object);
}

/** Takes one object out of `writes`: it is not written at all. */
export function dropWrite(writes: ObjectWrites, entity: string, id: string): void {
  writes.get(entity)?.delete(id);
}

/** How many objects `writes` writes or removes. */
export function writeCount(writes: ObjectWrites | undefined): number {
  let count = 0;
  for (const byId of writes?.values() ?? []) count += byId.size;
  return count;
}

/** The writes of these objects (entity, id, record or null), in this order per entity. */
export function objectWrites(entries: Iterable<readonly [entity: string, id: string, object: LocalObject | null]>): ObjectWrites {
  const writes: ObjectWrites = new Map();
  for (const [entity, id, object] of entries) setWrite(writes, entity, id, object);
  return writes;
}
