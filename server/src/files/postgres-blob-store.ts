import { eq } from 'drizzle-orm';
import { syncBlobs } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import type { BlobStore } from './blob-store.ts';

/** File contents in the `sync_blobs` table: no extra infrastructure, works on PGlite too. */
export function createPostgresBlobStore(db: Db): BlobStore {
  const store: BlobStore = {
    inTransaction: (tx) => createPostgresBlobStore(tx),
    async has(hash) {
      return (await store.sizeOf(hash)) !== null;
    },
    async sizeOf(hash) {
      const [row] = await db.select({ size: syncBlobs.size }).from(syncBlobs).where(eq(syncBlobs.hash, hash));
      return row ? row.size : null;
    },
    async put(hash, content) {
      await db.insert(syncBlobs).values({ hash, size: content.byteLength, content: Buffer.from(content) }).onConflictDoNothing();
    },
    async get(hash) {
      const [row] = await db.select({ content: syncBlobs.content }).from(syncBlobs).where(eq(syncBlobs.hash, hash));
      return row ? new Uint8Array(row.content) : null;
    },
  };
  return store;
}
