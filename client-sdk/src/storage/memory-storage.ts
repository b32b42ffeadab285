import { CONTENTS_STORE, emptySnapshot, storableAsIs, type StorageAdapter, type StorageSnapshot, type StorageWrite } from './storage-adapter.ts';

/**
 * Storage in memory: for tests, for Node processes that do not need to persist, and as the
 * reference behaviour of the adapter contract. The same instance can be handed to a new database
 * to simulate an app restart.
 */
export function createMemoryStorage(): StorageAdapter {
  const data: StorageSnapshot = emptySnapshot();
  const contents = new Map<string, Uint8Array>();
  return {
    async load() {
      return structuredClone(data);
    },
    async write(writes: readonly StorageWrite[]) {
      const asIs = storableAsIs(writes);
      // Copy every value that needs it before touching the data: one that cannot be cloned stores nothing.
      const values = writes.map((write) => ('delete' in write ? undefined : asIs(write) ? write.value : structuredClone(write.value)));
      writes.forEach((write, i) => {
        if ('delete' in write) (write.store === CONTENTS_STORE ? contents : data[write.store]).delete(write.key);
        else if (write.store === CONTENTS_STORE) contents.set(write.key, values[i] as Uint8Array);
        else data[write.store].set(write.key, values[i]);
      });
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
