import { contentHashesOf } from './file-content.ts';
import { objectKey, type LocalObject } from './local-object.ts';

/**
 * Which objects refer to which file contents, and which contents are stored (F1), kept up to
 * date with every write of the store. A sync then finds the contents nothing needs any more, and
 * the ones it still has to fetch, from what it touches: no pass over every object on the device.
 */
export class ContentIndex {
  /** Per content hash, the keys of the objects that refer to it. */
  private readonly users = new Map<string, Set<string>>();
  private readonly stored = new Set<string>();
  /** Referred to by objects, not stored. */
  private readonly missing = new Set<string>();
  /** Stored, referred to by no object (maybe by an upload or a failure record: the caller's to check). */
  private readonly orphans = new Set<string>();

  /** True when some content is stored. */
  storesAny(): boolean {
    return this.stored.size > 0;
  }

  /** True when some object refers to a content. */
  hasReferences(): boolean {
    return this.users.size > 0;
  }

  /** True when the content is stored. */
  has(hash: string): boolean {
    return this.stored.has(hash);
  }

  /** A content was stored. */
  contentStored(hash: string): void {
    this.stored.add(hash);
    this.missing.delete(hash);
    if (!this.users.has(hash)) this.orphans.add(hash);
  }

  /** A content was removed. */
  contentRemoved(hash: string): void {
    this.stored.delete(hash);
    this.orphans.delete(hash);
    if (this.users.has(hash)) this.missing.add(hash);
  }

  /** An object changed from `previous` to `next` (undefined: absent, null: removed). */
  objectChanged(entity: string, id: string, previous: LocalObject | undefined, next: LocalObject | null): void {
    const before = contentHashesOf(previous);
    const after = contentHashesOf(next);
    if (before.length === 0 && after.length === 0) return;
    const key = objectKey(entity, id);
    for (const hash of before) if (!after.includes(hash)) this.release(hash, key);
    for (const hash of after) if (!before.includes(hash)) this.use(hash, key);
  }

  /**
   * The stored contents no object refers to once objects change as `delta` says (per hash, how
   * many more or fewer objects refer to it).
   */
  unreferencedAfter(delta: ReadonlyMap<string, number>): Set<string> {
    const unreferenced = new Set<string>();
    const consider = (hash: string) => {
      if (this.stored.has(hash) && (this.users.get(hash)?.size ?? 0) + (delta.get(hash) ?? 0) === 0) unreferenced.add(hash);
    };
    for (const hash of this.orphans) consider(hash);
    for (const [hash, change] of delta) if (change < 0) consider(hash);
    return unreferenced;
  }

  /** The contents objects refer to that are not stored, each with the keys of those objects. */
  *missingContents(): IterableIterator<[hash: string, keys: ReadonlySet<string>]> {
    for (const hash of this.missing) {
      const keys = this.users.get(hash);
      if (keys) yield [hash, keys];
    }
  }

  private use(hash: string, key: string): void {
    let keys = this.users.get(hash);
    if (!keys) {
      keys = new Set();
      this.users.set(hash, keys);
      this.orphans.delete(hash);
      if (!this.stored.has(hash)) this.missing.add(hash);
    }
    keys.add(key);
  }

  private release(hash: string, key: string): void {
    const keys = this.users.get(hash);
    if (!keys) return;
    keys.delete(key);
    if (keys.size > 0) return;
    this.users.delete(hash);
    this.missing.delete(hash);
    if (this.stored.has(hash)) this.orphans.add(hash);
  }
}
