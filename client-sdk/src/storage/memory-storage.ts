import { isFrozenData } from '../frozen.ts';
import { CONTENTS_STORE, emptySnapshot, hasFrozenObjects, type StorageAdapter, type StorageSnapshot, type StorageWrite } from './storage-adapter.ts';

/**
 * Storage in memory: for tests, for Node processes that do not need to persist, and as the
 * reference behaviour of the adapter contract. The same instance can be handed to a new database
 * to simulate an app restart.
 */
export function createMemoryStorage(): StorageAdapter {
  const data: StorageSnapshot = emptySnapshot();
  const contents = new Map<string, Uint8Array>();
  /** A value as stored: frozen plain data is kept as it is (nobody can change it), anything else is copied. */
  const stored = (value: unknown) => (isFrozenData(value) ? value : structuredClone(value));
  return {
    async load() {
      return structuredClone(data);
    },
    async write(writes: readonly StorageWrite[]) {
      // The objects of a marked batch are frozen plain data, kept as they are without a look.
      const frozenObjects = hasFrozenObjects(writes);
      const kept = (write: StorageWrite) => frozenObjects && write.store === 'objects';
      // Copy every other value before touching the data: one that cannot be cloned stores nothing.
      const copies = new Map<StorageWrite, unknown>();
      for (const write of writes) if (!('delete' in write) && !kept(write)) copies.set(write, stored(write.value));
      for (const write of writes) {
        if ('delete' in write) (write.store === CONTENTS_STORE ? contents : data[write.store]).delete(write.key);
        else if (write.store === CONTENTS_STORE) contents.set(write.key, copies.get(write) as Uint8Array);
        else data[write.store].set(write.key, kept(write) ? write.value : copies.get(write));
      }
    },
    async contentKeys() {
      return [...contents.keys()];
    },
    async readContent(hash: string) {
      const bytes = contents.get(hash);
      return bytes ? bytes.slice() : null;
    },
    async clear() {
      for (const store of Object.values(data)) store.clear();
      contents.clear();
    },
    async close() {},
  };
}
