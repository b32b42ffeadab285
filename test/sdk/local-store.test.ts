import { describe, expect, it } from 'vitest';
import { commitObject, createObject, editObject, parseObjectKey, serverState, syncedObject, type LocalObject } from '../../client-sdk/src/local-object.ts';
import { LocalStore, STORAGE_FORMAT, type StoreEvent } from '../../client-sdk/src/local-store.ts';
import { objectWrites } from '../../client-sdk/src/object-writes.ts';
import { createMemoryStorage } from '../../client-sdk/src/storage/memory-storage.ts';
import type { StorageAdapter, StorageWrite } from '../../client-sdk/src/storage/storage-adapter.ts';

/** Unit tests of the store: transactions are serialized, persisted first, then visible. */

/** The writes of these objects, each named by its `objectKey`. */
const writes = (...objects: [string, LocalObject | null][]) =>
  objectWrites(objects.map(([key, object]) => [parseObjectKey(key).entity, parseObjectKey(key).id, object] as const));

describe('local store', () => {
  it('makes a transaction visible only once persisted, and notifies subscribers', async () => {
    const storage = createMemoryStorage();
    const store = await LocalStore.open(storage);
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    await store.transact('local', () => ({ changes: { objects: writes(['WorkOrder:a', createObject('WorkOrder', 'a', { title: 't' })]), meta: { checkpoint: 'c1' } }, result: undefined }));
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
    const put = (id: string) => store.transact('local', () => ({ changes: { objects: writes([`WorkOrder:${id}`, createObject('WorkOrder', id, {})]) }, result: id }));
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

  it('does not write to storage what it holds already: unchanged metadata, removing what is absent', async () => {
    const memory = createMemoryStorage();
    const batches: number[] = [];
    const counting: StorageAdapter = { ...memory, write: (writes) => (batches.push(writes.length), memory.write(writes)) };
    const store = await LocalStore.open(counting);
    await store.transact('local', () => ({ changes: { meta: { checkpoint: 'c1' } }, result: undefined }));
    batches.length = 0;

    await store.transact('local', () => ({ changes: {}, result: undefined }));
    await store.transact('local', () => ({ changes: { meta: { checkpoint: 'c1', inflight: null } }, result: undefined }));
    expect(batches).toEqual([]);

    await store.transact('local', () => ({ changes: { meta: { checkpoint: 'c2', inflight: null } }, result: undefined }));
    await store.transact('local', () => ({ changes: { meta: { checkpoint: null } }, result: undefined }));
    expect(batches).toEqual([1, 1]);
    expect((await LocalStore.open(memory)).meta('checkpoint')).toBeUndefined();
  });

  it('in memory only: hands the adapter file contents alone, and refuses what a persistent adapter would refuse', async () => {
    const memory = createMemoryStorage();
    const batches: StorageWrite[][] = [];
    const recording: StorageAdapter = { ...memory, write: (writes) => (batches.push([...writes]), memory.write(writes)) };
    const store = await LocalStore.open(recording, { inMemoryOnly: true });
    const photo = syncedObject(serverState('Photo', 'p', { version: 1, createdAt: 't', changedAt: 't' }, { caption: 'c', contentHash: 'h1', size: 1 }));
    await store.transact('sync', () => ({
      changes: { objects: writes(['Photo:p', photo]), putContents: [{ hash: 'h1', bytes: new Uint8Array([7]) }], meta: { checkpoint: 'c1' } },
      result: undefined,
    }));
    await store.transact('local', () => ({ changes: { objects: writes(['WorkOrder:a', createObject('WorkOrder', 'a', { title: 't' })]) }, result: undefined }));
    expect(batches.map((writes) => writes.map(({ store, key }) => `${store}:${key}`))).toEqual([['contents:h1']]);
    expect(store.object('Photo', 'p')).toBe(photo);
    expect(store.object('WorkOrder', 'a')?.draft).toEqual({ title: 't' });
    expect(store.meta('checkpoint')).toBe('c1');
    expect(await store.readContent('h1')).toEqual(new Uint8Array([7]));

    // A value structured cloning cannot copy fails the transaction, as the adapters' writes do.
    const unclonable = createObject('WorkOrder', 'b', { title: (() => 't') as unknown as string });
    await expect(store.transact('local', () => ({ changes: { objects: writes(['WorkOrder:b', unclonable]) }, result: undefined }))).rejects.toMatchObject({
      name: 'DataCloneError',
    });
    expect(store.object('WorkOrder', 'b')).toBeUndefined();
    expect((await memory.load()).objects.size).toBe(0);
  });
});

describe('local store indexes and format', () => {
  const photo = (id: string, contentHash: string, version = 1) =>
    syncedObject(serverState('Photo', id, { version, createdAt: 't', changedAt: 't' }, { caption: id, contentHash, size: 1 }));

  it('upgrades a format-1 database in place: server states become the objects as the server sent them', async () => {
    const storage = createMemoryStorage();
    const old = { entity: 'WorkOrder', id: 'w', synced: { version: 2, createdAt: 'c', changedAt: 'd', values: { title: 't' } }, pending: null, draft: { title: 'edit' } };
    await storage.write([
      { store: 'objects', key: 'WorkOrder:w', value: old },
      { store: 'meta', key: 'format', value: 1 },
    ]);
    const store = await LocalStore.open(storage);
    const expected = { entity: 'WorkOrder', id: 'w', synced: { __typename: 'WorkOrder', id: 'w', version: 2, createdAt: 'c', changedAt: 'd', title: 't' }, pending: null, draft: { title: 'edit' } };
    expect(store.object('WorkOrder', 'w')).toEqual(expected);
    expect(Object.isFrozen(store.object('WorkOrder', 'w')?.synced)).toBe(true);
    const persisted = await storage.load();
    expect(persisted.objects.get('WorkOrder:w')).toEqual(expected);
    expect(persisted.meta.get('format')).toBe(STORAGE_FORMAT);
  });

  it('keeps pending objects and file content references up to date with every write', async () => {
    const store = await LocalStore.open(createMemoryStorage());
    await store.transact('sync', () => ({
      changes: {
        objects: writes(['Photo:a', photo('a', 'h1')], ['Photo:b', photo('b', 'h2')], ['Photo:c', photo('c', 'h2')]),
        putContents: [{ hash: 'h1', bytes: new Uint8Array([1]) }, { hash: 'h3', bytes: new Uint8Array([3]) }],
      },
      result: undefined,
    }));
    // h2 is referred to and not stored; h3 is stored and referred to by nothing.
    expect([...store.missingContents()].map(({ hash, objects }) => [hash, objects.map((o) => o.id)])).toEqual([['h2', ['b', 'c']]]);
    expect(store.contentsFreedBy(new Map())).toEqual(new Set(['h3']));
    expect(store.contentsFreedBy(writes(['Photo:a', null]))).toEqual(new Set(['h3', 'h1']));
    expect(store.contentsFreedBy(writes(['Photo:a', null], ['Photo:d', photo('d', 'h1')]))).toEqual(new Set(['h3']));

    const edited = commitObject(editObject(store.object('Photo', 'b')!, { contentHash: 'h3' }));
    await store.transact('local', () => ({ changes: { objects: writes(['Photo:b', edited]) }, result: undefined }));
    expect([...store.pendingObjects()].map((o) => o.id)).toEqual(['b']);
    // b still refers to h2 through its server state, and now to h3 through its committed change.
    expect(store.contentsFreedBy(new Map())).toEqual(new Set());
    expect([...store.missingContents()].map(({ hash, objects }) => [hash, objects.map((o) => o.id)])).toEqual([['h2', ['b', 'c']]]);

    await store.transact('sync', () => ({ changes: { objects: writes(['Photo:b', null], ['Photo:c', photo('c', 'h1', 2)]) }, result: undefined }));
    expect([...store.pendingObjects()]).toEqual([]);
    expect([...store.missingContents()]).toEqual([]);
    expect(store.contentsFreedBy(new Map())).toEqual(new Set(['h3']));
  });

  it('lists the changed objects only for subscribers who read them, and tells entity subscribers their ids', async () => {
    const store = await LocalStore.open(createMemoryStorage());
    const all: StoreEvent[] = [];
    const photos: (readonly string[])[] = [];
    const orders: (readonly string[])[] = [];
    store.subscribe((event) => all.push(event));
    store.subscribeEntity('Photo', (event) => photos.push(event.ids));
    const stop = store.subscribeEntity('WorkOrder', (event) => orders.push(event.ids));
    stop();
    await store.transact('sync', () => ({
      changes: { objects: writes(['Photo:a', photo('a', 'h1')], ['WorkOrder:w', createObject('WorkOrder', 'w', {})], ['Photo:gone', null]) },
      result: undefined,
    }));
    expect(photos).toEqual([['a', 'gone']]);
    expect(orders).toEqual([]);
    expect(all).toHaveLength(1);
    expect(all[0]!.objects).toEqual([
      { entity: 'Photo', id: 'a' },
      { entity: 'Photo', id: 'gone' },
      { entity: 'WorkOrder', id: 'w' },
    ]);
    expect(all[0]!.objects).toBe(all[0]!.objects);
  });

  it("keeps a handed-over map of an entity's new objects as its index, and only then", async () => {
    const storage = createMemoryStorage();
    const store = await LocalStore.open(storage);
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    const first = writes(['Photo:a', photo('a', 'h1')], ['Photo:b', commitObject(editObject(photo('b', 'h2'), { caption: 'mine' }))]);
    await store.transact('sync', () => ({ changes: { objects: first, handOver: true }, result: undefined }));
    expect(store.allObjects('Photo').map((o) => o.id)).toEqual(['a', 'b']);
    expect([...store.pendingObjects()].map((o) => o.id)).toEqual(['b']);
    expect([...store.missingContents()].map(({ hash }) => hash)).toEqual(['h1', 'h2']);
    // The event lists what was written, not what the adopted index holds after later writes.
    await store.transact('local', () => ({ changes: { objects: writes(['Photo:c', photo('c', 'h1')], ['Photo:a', null]) }, result: undefined }));
    expect(events[0]!.objects).toEqual([
      { entity: 'Photo', id: 'a' },
      { entity: 'Photo', id: 'b' },
    ]);
    expect(store.allObjects('Photo').map((o) => o.id)).toEqual(['b', 'c']);
    expect([...(await storage.load()).objects.keys()]).toEqual(['Photo:b', 'Photo:c']);

    // Not kept: the map of an entity with objects already, a map that removes objects. The map
    // of a new entity written beside them is kept.
    const more = writes(['Photo:d', photo('d', 'h1')]);
    await store.transact('sync', () => ({ changes: { objects: more, handOver: true }, result: undefined }));
    more.get('Photo')!.delete('d');
    expect(store.allObjects('Photo').map((o) => o.id)).toEqual(['b', 'c', 'd']);
    const workOrder = syncedObject(serverState('WorkOrder', 'w', { version: 1, createdAt: 't', changedAt: 't' }, {}));
    const mixed = writes(['WorkOrder:w', workOrder], ['Customer:gone', null], ['Photo:b', null]);
    await store.transact('sync', () => ({ changes: { objects: mixed, handOver: true }, result: undefined }));
    mixed.get('Photo')!.set('b', photo('b', 'h2'));
    expect(store.allObjects().map((o) => o.id)).toEqual(['c', 'd', 'w']);
    expect([...store.objectsOf('Customer')]).toEqual([]);
    expect([...store.pendingObjects()]).toEqual([]);
  });
});
