import { describe, expect, it } from 'vitest';
import { createObject } from '../../client-sdk/src/local-object.ts';
import { LocalStore, type StoreEvent } from '../../client-sdk/src/local-store.ts';
import { createMemoryStorage } from '../../client-sdk/src/storage/memory-storage.ts';
import type { StorageAdapter } from '../../client-sdk/src/storage/storage-adapter.ts';

/** Unit tests of the store: transactions are serialized, persisted first, then visible. */

describe('local store', () => {
  it('makes a transaction visible only once persisted, and notifies subscribers', async () => {
    const storage = createMemoryStorage();
    const store = await LocalStore.open(storage);
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    await store.transact('local', () => ({ changes: { putObjects: [createObject('WorkOrder', 'a', { title: 't' })], meta: { checkpoint: 'c1' } }, result: undefined }));
    expect(store.object('WorkOrder', 'a')?.draft).toEqual({ title: 't' });
    expect(events).toEqual([{ source: 'local', objects: [{ entity: 'WorkOrder', id: 'a' }], failures: false }]);
    const reopened = await LocalStore.open(storage);
    expect(reopened.meta('checkpoint')).toBe('c1');
    expect(reopened.allObjects()).toHaveLength(1);
  });

  it('leaves memory unchanged when the write fails, and keeps working afterwards', async () => {
    const memory = createMemoryStorage();
    let fail = true;
    const flaky: StorageAdapter = {
      ...memory,
      write: (writes) => (fail ? Promise.reject(new Error('disk full')) : memory.write(writes)),
    };
    const store = await LocalStore.open(flaky);
    const put = (id: string) => store.transact('local', () => ({ changes: { putObjects: [createObject('WorkOrder', id, {})] }, result: id }));
    await expect(put('a')).rejects.toThrow('disk full');
    expect(store.object('WorkOrder', 'a')).toBeUndefined();
    fail = false;
    await expect(put('b')).resolves.toBe('b');
    expect(store.allObjects().map((o) => o.id)).toEqual(['b']);
  });

  it('runs transactions one at a time, each computed from the state the previous one left', async () => {
    const store = await LocalStore.open(createMemoryStorage());
    const counter = () =>
      store.transact('local', () => {
        const n = (store.meta('checkpoint') ?? '').length;
        return { changes: { meta: { checkpoint: 'x'.repeat(n + 1) } }, result: n };
      });
    expect(await Promise.all([counter(), counter(), counter()])).toEqual([0, 1, 2]);
  });
});
