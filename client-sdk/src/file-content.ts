import type { EntityMetadata, EntityName, EntityTypeMap } from './entity-types.ts';
import type { InFlightSync } from './change-set.ts';
import { decodeChanges } from './change-set.ts';
import type { FailureRecord } from './local-store.ts';
import type { LocalObject } from './local-object.ts';

/**
 * File contents on the device (F1): what a file entity is, how content is turned into bytes and
 * its SHA-256, and which stored contents are still needed. Contents are addressed by hash, so two
 * objects with the same bytes share one stored copy and one upload.
 */

/** Content the app attaches to a file object: a Blob (or File), or bytes. */
export type FileContent = Blob | ArrayBuffer | ArrayBufferView;

/** The attributes every file entity has beside its own (F1). */
export const FILE_ATTRIBUTES = ['fileName', 'contentType', 'size', 'contentHash'] as const;

/** The values of a file entity, structurally: it can write the F1 attributes. */
interface FileValues {
  fileName?: string | null;
  contentType?: string | null;
  size?: number | null;
  contentHash?: string | null;
}

/** The names of an entity map's file entities (those whose values carry the F1 attributes). */
export type FileEntityName<M extends EntityTypeMap> = {
  [E in EntityName<M>]: Required<M[E]['values']> extends Required<FileValues> ? E : never;
}[EntityName<M>];

/** Describes attached content; by default taken from a `File`'s name and a Blob's type. */
export interface ContentOptions {
  /** Required unless the content is a `File` (its name) or the object already has one. */
  fileName?: string;
  /** Default: the Blob's type, else the object's current one, else `application/octet-stream`. */
  contentType?: string;
}

/** True when the entity is a file entity: the device may write its F1 attributes. */
export function isFileEntity(metadata: EntityMetadata): boolean {
  return FILE_ATTRIBUTES.every((name) => metadata.writable.includes(name));
}

/** The bytes of attached content (a copy, so later changes by the app do not affect it). */
export async function contentBytes(content: FileContent): Promise<Uint8Array<ArrayBuffer>> {
  if (content instanceof Blob) return new Uint8Array(await content.arrayBuffer());
  if (content instanceof ArrayBuffer) return new Uint8Array(content.slice(0));
  return new Uint8Array(content.buffer, content.byteOffset, content.byteLength).slice();
}

/** SHA-256 in lowercase hex, through WebCrypto (browsers and Node 20). */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The name and type content brings along: a File's name, a Blob's type. */
export function describedBy(content: FileContent): ContentOptions {
  const name = typeof File !== 'undefined' && content instanceof File ? content.name : undefined;
  const type = content instanceof Blob && content.type !== '' ? content.type : undefined;
  return { ...(name ? { fileName: name } : {}), ...(type ? { contentType: type } : {}) };
}

function hashOf(values: Readonly<Record<string, unknown>> | null | undefined): string | null {
  const hash = values?.contentHash;
  return typeof hash === 'string' ? hash : null;
}

/** The content hash of the committed values: a committed change's, else the server state's. */
function committedHash(object: LocalObject): string | null {
  const pending = object.pending;
  return pending !== null && pending.op !== 'DELETE' && 'contentHash' in pending.values ? hashOf(pending.values) : hashOf(object.synced);
}

/** The content hash an object shows the app (uncommitted edits included), if any. */
export function currentHash(object: LocalObject): string | null {
  const draft = object.draft;
  return draft !== null && 'contentHash' in draft ? hashOf(draft) : committedHash(object);
}

const noHashes: readonly string[] = [];

/**
 * The contents an object needs kept on the device: those of its server state, its committed values
 * and its current values (at most three hashes; usually none).
 */
export function contentHashesOf(object: LocalObject | null | undefined): readonly string[] {
  if (!object) return noHashes;
  const synced = hashOf(object.synced);
  // Most objects have no local changes (every object a download brings).
  if (object.pending === null && object.draft === null) return synced === null ? noHashes : [synced];
  const committed = committedHash(object);
  const current = currentHash(object);
  if (synced === null && committed === null && current === null) return noHashes;
  return [...new Set([synced, committed, current])].filter((hash) => hash !== null);
}

/**
 * The contents needed by something other than objects: an upload in flight (it may be resent)
 * and failure records (what was sent must not be lost, R12).
 */
export function contentsOfUploadsAndFailures(inflight: InFlightSync | undefined, failures: Iterable<FailureRecord>): Set<string> {
  const hashes = new Set<string>();
  const add = (hash: string | null) => hash !== null && hashes.add(hash);
  if (inflight) for (const { change } of decodeChanges(inflight.input).values()) add(change.op === 'DELETE' ? null : hashOf(change.values));
  for (const failure of failures) {
    const content = failure.content as { values?: Record<string, unknown> } | null;
    add(hashOf(content?.values));
  }
  return hashes;
}
