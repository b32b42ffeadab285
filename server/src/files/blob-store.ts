import type { Db } from '../registry/define-entity.ts';

/**
 * Where file contents live (F1), addressed by their SHA-256 (lowercase hex). Implementations:
 * PostgreSQL (default, also on PGlite) and a directory.
 */
export interface BlobStore {
  /** Whether the content with this hash is stored. */
  has(hash: string): Promise<boolean>;
  /** The stored content's length in bytes, or null when it is not stored. */
  sizeOf(hash: string): Promise<number | null>;
  /** Stores content already verified to have this hash; storing it again is harmless. */
  put(hash: string, content: Uint8Array): Promise<void>;
  /** The content, or null when it is not stored. */
  get(hash: string): Promise<Uint8Array<ArrayBuffer> | null>;
  /**
   * The same store read through a sync transaction; stores in the database need it (PGlite has
   * one connection, which the transaction holds), others return themselves.
   */
  inTransaction(db: Db): BlobStore;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A content hash as the API accepts it: 64 lowercase hex characters. */
export function isContentHash(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}
