import { eq } from 'drizzle-orm';
import { syncBlobs } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import type { BlobStore } from './blob-store.ts';

/** File contents in the `sync_blobs` table: no extra infrastructure, works on PGlite too. */
export function createPostgresBlobStore(db: Db): BlobStore {
  return {
    inTransaction: (tx) => createPostgresBlobStore(tx),
    async has(hash) {
      const rows = await db.select({ hash: syncBlobs.hash }).from(syncBlobs).where(eq(syncBlobs.hash, hash));
      return rows.length > 0;
    },
    async put(hash, content) {
      await db.insert(syncBlobs).values({ hash, size: content.byteLength, content: Buffer.from(content) }).onConflictDoNothing();
    },
    async get(hash) {
      const [row] = await db.select({ content: syncBlobs.content }).from(syncBlobs).where(eq(syncBlobs.hash, hash));
      return row ? new Uint8Array(row.content) : null;
    },
  };
}
