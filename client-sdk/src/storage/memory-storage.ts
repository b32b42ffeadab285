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
      // Copy every value before touching the data: one that cannot be cloned stores nothing.
      const frozenObjects = hasFrozenObjects(writes);
      const values = writes.map((write) => ('delete' in write ? undefined : frozenObjects && write.store === 'objects' ? write.value : stored(write.value)));
      for (let i = 0; i < writes.length; i++) {
        const write = writes[i]!;
        if (write.store === CONTENTS_STORE) {
          if ('delete' in write) contents.delete(write.key);
          else contents.set(write.key, values[i] as Uint8Array);
        } else if ('delete' in write) data[write.store].delete(write.key);
        else data[write.store].set(write.key, values[i]);
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
