import { afterEach, describe, expect, it } from 'vitest';
import type { StorageAdapter } from '../../client-sdk/src/storage/storage-adapter.ts';

/**
 * The storage adapter contract: every adapter runs this one suite. `location()` gives a fresh,
 * empty place to store; opening it again gives an adapter on the same data (an app restart).
 */
export interface StorageLocation {
  open(): StorageAdapter;
}

export function describeStorageContract(name: string, location: () => StorageLocation): void {
  describe(`storage adapter contract: ${name}`, () => {
    const opened: StorageAdapter[] = [];
    const open = (at: StorageLocation) => {
      const adapter = at.open();
      opened.push(adapter);
      return adapter;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((adapter) => adapter.close()));
    });

    it('starts empty', async () => {
      const snapshot = await open(location()).load();
      expect([...snapshot.objects]).toEqual([]);
      expect([...snapshot.failures]).toEqual([]);
      expect([...snapshot.meta]).toEqual([]);
    });

    it('stores values per store and key, as copies', async () => {
      const adapter = open(location());
      const value = { entity: 'WorkOrder', id: 'a', nested: { list: [1, 2, null] } };
      await adapter.write([
        { store: 'objects', key: 'WorkOrder:a', value },
        { store: 'meta', key: 'WorkOrder:a', value: 'same key, other store' },
        { store: 'failures', key: 'f1', value: { id: 'f1' } },
      ]);
      value.nested.list.push(3);
      const snapshot = await adapter.load();
      expect(snapshot.objects.get('WorkOrder:a')).toEqual({ entity: 'WorkOrder', id: 'a', nested: { list: [1, 2, null] } });
      expect(snapshot.meta.get('WorkOrder:a')).toBe('same key, other store');
      expect(snapshot.failures.get('f1')).toEqual({ id: 'f1' });
      (snapshot.objects.get('WorkOrder:a') as { id: string }).id = 'changed';
      expect((await adapter.load()).objects.get('WorkOrder:a')).toMatchObject({ id: 'a' });
    });

    it('stores frozen values too; a frozen value with a part that can still change is stored as a copy', async () => {
      const adapter = open(location());
      const frozen = Object.freeze({ id: 'f', list: Object.freeze([1, Object.freeze({ deep: true })]) });
      const inner = { count: 1 };
      const partly = Object.freeze({ id: 'p', inner });
      await adapter.write([
        { store: 'objects', key: 'frozen', value: frozen },
        { store: 'objects', key: 'partly', value: partly },
      ]);
      inner.count = 2;
      const snapshot = await adapter.load();
      expect(snapshot.objects.get('frozen')).toEqual({ id: 'f', list: [1, { deep: true }] });
      expect(snapshot.objects.get('partly')).toEqual({ id: 'p', inner: { count: 1 } });
      // What load() returns belongs to the caller, also when the stored value is frozen.
      (snapshot.objects.get('frozen') as { id: string }).id = 'changed';
      expect((await adapter.load()).objects.get('frozen')).toMatchObject({ id: 'f' });
    });

    it('is atomic also when the value that cannot be stored is frozen', async () => {
      const adapter = open(location());
      const failing = adapter.write([
        { store: 'objects', key: 'fine', value: Object.freeze({ ok: true }) },
        { store: 'objects', key: 'bad', value: Object.freeze({ fn: () => 1 }) },
      ]);
      await expect(failing).rejects.toThrow();
      expect((await adapter.load()).objects.size).toBe(0);
    });

    it('writes a big batch whole, as copies, or nothing of it', async () => {
      const adapter = open(location());
      const big = (count: number) => Array.from({ length: count }, (_, i) => ({ store: 'objects' as const, key: `k${i}`, value: { n: i } }));
      const batch = [...big(10_000), { store: 'meta' as const, key: 'm', value: { n: -1 } }];
      await adapter.write(batch);
      batch.forEach((write) => (write.value.n = 0));
      const snapshot = await adapter.load();
      expect(snapshot.objects.size).toBe(10_000);
      expect(snapshot.objects.get('k9999')).toEqual({ n: 9999 });
      expect(snapshot.meta.get('m')).toEqual({ n: -1 });

      const failing = adapter.write([{ store: 'objects', key: 'k0', delete: true }, ...big(10_000).map((w) => ({ ...w, key: `new-${w.key}` })), { store: 'objects', key: 'bad', value: { fn: () => 1 } }]);
      await expect(failing).rejects.toMatchObject({ name: 'DataCloneError' });
      const after = await adapter.load();
      expect(after.objects.size).toBe(10_000);
      expect(after.objects.get('k0')).toEqual({ n: 0 });
      expect(after.objects.has('new-k0')).toBe(false);
    });

    it('applies the writes of a batch in order, deletes included', async () => {
      const adapter = open(location());
      await adapter.write([
        { store: 'objects', key: 'a', value: 1 },
        { store: 'objects', key: 'b', value: 2 },
      ]);
      await adapter.write([
        { store: 'objects', key: 'a', delete: true },
        { store: 'objects', key: 'b', value: 3 },
        { store: 'objects', key: 'c', value: 4 },
        { store: 'objects', key: 'c', delete: true },
        { store: 'objects', key: 'absent', delete: true },
      ]);
      expect([...(await adapter.load()).objects].sort()).toEqual([['b', 3]]);
    });

    it('is atomic: a batch with a value that cannot be stored stores nothing', async () => {
      const adapter = open(location());
      await adapter.write([{ store: 'objects', key: 'kept', value: 'before' }]);
      const failing = adapter.write([
        { store: 'objects', key: 'kept', value: 'after' },
        { store: 'meta', key: 'checkpoint', value: 'c2' },
        { store: 'objects', key: 'bad', value: { fn: () => 1 } },
      ]);
      await expect(failing).rejects.toThrow();
      const snapshot = await adapter.load();
      expect(snapshot.objects.get('kept')).toBe('before');
      expect(snapshot.objects.has('bad')).toBe(false);
      expect(snapshot.meta.has('checkpoint')).toBe(false);
    });

    it('keeps every write of concurrent batches', async () => {
      const adapter = open(location());
      await Promise.all(Array.from({ length: 10 }, (_, i) => adapter.write([{ store: 'objects', key: `k${i}`, value: i }])));
      expect((await adapter.load()).objects.size).toBe(10);
    });

    it('keeps the data across close and reopen (an app restart)', async () => {
      const at = location();
      const first = open(at);
      await first.write([
        { store: 'objects', key: 'WorkOrder:a', value: { title: 'persisted' } },
        { store: 'meta', key: 'checkpoint', value: 'opaque' },
      ]);
      await first.close();
      const snapshot = await open(at).load();
      expect(snapshot.objects.get('WorkOrder:a')).toEqual({ title: 'persisted' });
      expect(snapshot.meta.get('checkpoint')).toBe('opaque');
    });

    it('clear removes everything', async () => {
      const adapter = open(location());
      await adapter.write([
        { store: 'objects', key: 'a', value: 1 },
        { store: 'failures', key: 'f', value: 2 },
        { store: 'meta', key: 'm', value: 3 },
        { store: 'contents', key: 'h', value: new Uint8Array([1]) },
      ]);
      await adapter.clear();
      const snapshot = await adapter.load();
      expect(snapshot.objects.size + snapshot.failures.size + snapshot.meta.size).toBe(0);
      expect(await adapter.contentKeys()).toEqual([]);
      expect(await adapter.readContent('h')).toBeNull();
    });

    it('stores file contents by hash as copies, read on demand and never part of load()', async () => {
      const adapter = open(location());
      const bytes = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
      await adapter.write([
        { store: 'contents', key: 'h1', value: bytes },
        { store: 'contents', key: 'h2', value: new Uint8Array([9]) },
      ]);
      bytes[0] = 255;
      const read = await adapter.readContent('h1');
      expect(read).toBeInstanceOf(Uint8Array);
      expect([...read!]).toEqual(Array.from({ length: 300 }, (_, i) => i % 256));
      read![1] = 0;
      expect((await adapter.readContent('h1'))![1]).toBe(1);
      expect((await adapter.contentKeys()).sort()).toEqual(['h1', 'h2']);
      expect(await adapter.readContent('absent')).toBeNull();
      expect(Object.keys(await adapter.load()).sort()).toEqual(['failures', 'meta', 'objects']);
      await adapter.write([{ store: 'contents', key: 'h2', delete: true }]);
      expect(await adapter.contentKeys()).toEqual(['h1']);
    });

    it('writes contents atomically with the other stores, and keeps them across a restart', async () => {
      const at = location();
      const first = open(at);
      const failing = first.write([
        { store: 'contents', key: 'lost', value: new Uint8Array([1]) },
        { store: 'objects', key: 'bad', value: { fn: () => 1 } },
      ]);
      await expect(failing).rejects.toThrow();
      expect(await first.contentKeys()).toEqual([]);
      await first.write([
        { store: 'contents', key: 'kept', value: new Uint8Array([4, 5, 6]) },
        { store: 'objects', key: 'Photo:a', value: { contentHash: 'kept' } },
      ]);
      await first.close();
      const second = open(at);
      expect(await second.contentKeys()).toEqual(['kept']);
      expect([...(await second.readContent('kept'))!]).toEqual([4, 5, 6]);
    });
  });
}
