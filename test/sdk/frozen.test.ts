import { describe, expect, it } from 'vitest';
import { deepFreeze, freezeAround, freezeRecord } from '../../client-sdk/src/frozen.ts';
import { createObject, serverState, syncedObject, type LocalObject } from '../../client-sdk/src/local-object.ts';
import { LocalStore } from '../../client-sdk/src/local-store.ts';
import { objectWrites } from '../../client-sdk/src/object-writes.ts';
import { createMemoryStorage } from '../../client-sdk/src/storage/memory-storage.ts';

/**
 * Records the store freezes tell whether they are plain data, so that storage adapters keep
 * them without checking each one, and still copy or refuse what is not plain data.
 */

describe('frozen records', () => {
  it('tells plain data from what structured cloning would not copy faithfully, also through parts frozen before', () => {
    expect(freezeRecord({ a: 1, list: [{ b: null }], text: 's' })).toBe(true);
    const dated = { at: new Date(0) };
    expect(freezeRecord({ values: dated })).toBe(false);
    expect(Object.isFrozen(dated)).toBe(true);
    // A frozen part keeps what was found in it when it was frozen.
    expect(freezeRecord({ shared: dated })).toBe(false);
    expect(freezeRecord({ shared: deepFreeze({ fn: () => 1 }) })).toBe(false);
    expect(freezeRecord(deepFreeze({ plain: [1, 2] }))).toBe(true);
    expect(freezeRecord(null)).toBe(true);
  });

  it('freezes a shell around one part, and the shell tells what the part holds', () => {
    const state = { n: 1, nested: { m: 2 } };
    const shell = { id: 'x', state };
    expect(freezeAround(shell, state)).toBe(true);
    expect(Object.isFrozen(shell) && Object.isFrozen(state.nested)).toBe(true);
    expect(freezeRecord(shell)).toBe(true);
    const odd = { fn: () => 1 };
    const oddShell = { odd };
    expect(freezeAround(oddShell, odd)).toBe(false);
    expect(freezeRecord(oddShell)).toBe(false);
  });
});

describe('storing records that are not plain data', () => {
  const put = (store: LocalStore, object: LocalObject) =>
    store.transact('local', () => ({ changes: { objects: objectWrites([[object.entity, object.id, object]]) }, result: undefined }));

  it('refuses a record holding a function, as before, and stores nothing of the batch', async () => {
    const storage = createMemoryStorage();
    const store = await LocalStore.open(storage);
    const bad = createObject('WorkOrder', 'f', { title: (() => 1) as unknown as string });
    const failing = store.transact('local', () => ({
      changes: { objects: objectWrites([['WorkOrder', 'ok', createObject('WorkOrder', 'ok', {})], ['WorkOrder', 'f', bad]]) },
      result: undefined,
    }));
    await expect(failing).rejects.toThrow();
    expect((await storage.load()).objects.size).toBe(0);
  });

  it('stores a copy of a record sharing a frozen part that is not plain data', async () => {
    const storage = createMemoryStorage();
    const store = await LocalStore.open(storage);
    const date = new Date(0);
    const state = serverState('WorkOrder', 'd', { version: 1, createdAt: 't', changedAt: 't' }, { extra: { at: date } as never });
    await put(store, syncedObject(state));
    await put(store, { ...store.object('WorkOrder', 'd')!, draft: { title: 'edit' } });
    date.setTime(1);
    const stored = (await storage.load()).objects.get('WorkOrder:d') as LocalObject;
    expect((stored.synced?.extra as unknown as { at: Date }).at.getTime()).toBe(0);
  });
});
