import { CONTENTS_STORE, emptySnapshot, storableAsIs, storeNames, type PutWrite, type StorageAdapter, type StorageSnapshot, type StorageWrite } from './storage-adapter.ts';

/** Options of the IndexedDB adapter. */
export interface IndexedDbStorageOptions {
  /** Database name; one per app and user, e.g. `field-service:alice`. */
  name: string;
  /** The IndexedDB factory; default `globalThis.indexedDB` (inject `fake-indexeddb` in Node). */
  indexedDB?: IDBFactory;
}

/** 2 added the `contents` store (file contents); upgrading keeps the data of version 1. */
const VERSION = 2;

/** Every object store, the contents included: a write batch spans them all. */
const allStores = [...storeNames, CONTENTS_STORE];

/**
 * The requests a write batch issues at a time. A big batch (a sync of 100 000 objects) is issued
 * window by window, the next one as the one before it completes, within the same transaction: the
 * requests waiting in the transaction stay bounded (fake-indexeddb's queue costs time in their
 * number, a browser's memory), and two windows are in flight so that the database never waits.
 */
const WINDOW = 2000;

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** A write with a copy of its value (a structured clone has the value's type). */
function copied(write: PutWrite): StorageWrite {
  return { ...write, value: structuredClone(write.value) } as StorageWrite;
}

function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, VERSION);
    req.onupgradeneeded = () => {
      for (const store of allStores) {
        if (!req.result.objectStoreNames.contains(store)) req.result.createObjectStore(store);
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error(`IndexedDB database "${name}" is blocked by another connection`));
  });
}

/**
 * Storage in IndexedDB (browsers; Node through `fake-indexeddb`). A batch is one readwrite
 * transaction over all stores, so a failing write aborts the whole batch.
 */
export function createIndexedDbStorage(options: IndexedDbStorageOptions): StorageAdapter {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  if (!factory) throw new Error('IndexedDB is not available here; pass options.indexedDB');
  let connection: Promise<IDBDatabase> | null = null;
  const db = () => (connection ??= openDatabase(factory, options.name));

  return {
    async load(): Promise<StorageSnapshot> {
      const tx = (await db()).transaction([...storeNames], 'readonly');
      const snapshot = emptySnapshot();
      await Promise.all(
        storeNames.map(async (store) => {
          const os = tx.objectStore(store);
          const [keys, values] = await Promise.all([request(os.getAllKeys()), request(os.getAll())]);
          keys.forEach((key, i) => snapshot[store].set(String(key), values[i]));
        }),
      );
      return snapshot;
    },
    async write(writes: readonly StorageWrite[]) {
      const tx = (await db()).transaction(allStores, 'readwrite');
      const done = completion(tx);
      let failure: { error: unknown } | null = null;
      const fail = (error: unknown) => {
        if (failure) return;
        failure = { error };
        tx.abort();
      };
      let queued = writes;
      let next = 0;
      const issueWindow = () => {
        try {
          const end = Math.min(next + WINDOW, queued.length);
          let last: IDBRequest | null = null;
          for (; next < end; next++) {
            const write = queued[next]!;
            const os = tx.objectStore(write.store);
            last = 'delete' in write ? os.delete(write.key) : os.put(write.value, write.key);
          }
          if (last && next < queued.length) last.onsuccess = issueWindow;
        } catch (error) {
          // put() throws synchronously for values it cannot clone; abort so nothing is stored.
          fail(error);
        }
      };
      issueWindow();
      if (!failure && next < writes.length) {
        try {
          // IndexedDB copies a value when its write is issued: copy now those the caller could still change.
          const asIs = storableAsIs(writes);
          queued = writes.map((write, i) => (i < next || 'delete' in write || asIs(write) ? write : copied(write)));
        } catch (error) {
          fail(error);
        }
        if (!failure) issueWindow();
      }
      await done.catch((error: unknown) => {
        throw failure ? failure.error : error;
      });
    },
    async contentKeys() {
      const tx = (await db()).transaction(CONTENTS_STORE, 'readonly');
      return (await request(tx.objectStore(CONTENTS_STORE).getAllKeys())).map(String);
    },
    async readContent(hash: string) {
      const tx = (await db()).transaction(CONTENTS_STORE, 'readonly');
      const value: unknown = await request(tx.objectStore(CONTENTS_STORE).get(hash));
      // A structured clone of what write() stored: a fresh, unshared buffer.
      return value instanceof Uint8Array ? (value as Uint8Array<ArrayBuffer>) : null;
    },
    async clear() {
      const tx = (await db()).transaction(allStores, 'readwrite');
      const done = completion(tx);
      for (const store of allStores) tx.objectStore(store).clear();
      await done;
    },
    async close() {
      if (connection) (await connection).close();
      connection = null;
    },
  };
}
