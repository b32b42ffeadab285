import { IDBFactory } from 'fake-indexeddb';
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
