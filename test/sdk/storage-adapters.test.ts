import { IDBFactory } from 'fake-indexeddb';
import { expect, it } from 'vitest';
import { createIndexedDbStorage } from '../../client-sdk/src/storage/indexeddb-storage.ts';
import { createMemoryStorage } from '../../client-sdk/src/storage/memory-storage.ts';
import { describeStorageContract } from './storage-contract.ts';

/** Both adapters pass the one shared contract suite; IndexedDB runs on fake-indexeddb in Node. */

describeStorageContract('memory', () => {
  const storage = createMemoryStorage();
  return { open: () => storage };
});

describeStorageContract('IndexedDB', () => {
  const indexedDB = new IDBFactory();
  return { open: () => createIndexedDbStorage({ name: 'contract', indexedDB }) };
});

it('IndexedDB: a database of version 1 (before file contents) is upgraded in place, its data kept', async () => {
  const indexedDB = new IDBFactory();
  const v1 = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open('field-app', 1);
    req.onupgradeneeded = () => ['objects', 'failures', 'meta'].forEach((store) => req.result.createObjectStore(store));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  await new Promise<void>((resolve, reject) => {
    const tx = v1.transaction('meta', 'readwrite');
    tx.objectStore('meta').put('c1', 'checkpoint');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  v1.close();

  const adapter = createIndexedDbStorage({ name: 'field-app', indexedDB });
  expect((await adapter.load()).meta.get('checkpoint')).toBe('c1');
  expect(await adapter.contentKeys()).toEqual([]);
  await adapter.write([{ store: 'contents', key: 'h', value: new Uint8Array([1, 2]) }]);
  expect([...(await adapter.readContent('h'))!]).toEqual([1, 2]);
  await adapter.close();
});
