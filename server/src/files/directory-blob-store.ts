import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from './blob-store.ts';

/**
 * File contents as files in a directory (`BLOB_DIR`), two levels of hash-prefix folders so that
 * no folder grows huge. Writes go to a temporary name first and are renamed into place, so a
 * crash never leaves a partial file under a hash.
 */
export function createDirectoryBlobStore(root: string): BlobStore {
  const pathOf = (hash: string) => join(root, hash.slice(0, 2), hash.slice(2, 4), hash);
  const store: BlobStore = {
    inTransaction: () => store,
    async has(hash) {
      return (await store.sizeOf(hash)) !== null;
    },
    async sizeOf(hash) {
      try {
        return (await stat(pathOf(hash))).size;
      } catch {
        return null;
      }
    },
    async put(hash, content) {
      const target = pathOf(hash);
      await mkdir(join(target, '..'), { recursive: true });
      const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, content);
      await rename(temporary, target);
    },
    async get(hash) {
      try {
        return new Uint8Array(await readFile(pathOf(hash)));
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return null;
        throw error;
      }
    },
  };
  return store;
}
