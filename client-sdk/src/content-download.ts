import type { ContentTransport } from './content-transport.ts';
import type { StagedDownload } from './download-stage.ts';
import type { ObjectKey } from './entity-types.ts';
import { sha256Hex } from './file-content.ts';
import type { DownloadMode } from './generated/graphql.ts';
import { objectKey } from './local-object.ts';
import type { LocalStore } from './local-store.ts';
import type { SyncStatusEmitter } from './sync-status.ts';

/**
 * F3, the stage between the download and applying it: fetches the contents of the downloaded
 * file objects that the device does not hold yet (same hash: nothing to fetch), verifies their
 * SHA-256 and stores them. Contents are addressed by hash, so they are stored before the data is
 * applied, each on its own: if the sync fails afterwards, no object refers to them and the device
 * is unchanged for the app (and the next sync need not fetch them again).
 *
 * A content the server lacks (404), refuses (403 also with the token) or sends broken (hash
 * mismatch) is skipped with a warning: its objects are stored without content, and later syncs
 * try again. A lost connection, a timeout or a server error fail the sync.
 */

/** Why a file object's content is not on the device after a sync. */
export type ContentWarningReason = 'missing' | 'forbidden' | 'hash-mismatch';

/** A file object stored without its content (R23: reported, not an error). */
export interface ContentWarning extends ObjectKey {
  contentHash: string;
  reason: ContentWarningReason;
  message: string;
}

/** What the stage needs. */
export interface ContentDownloadDeps {
  store: LocalStore;
  contents: ContentTransport;
  status: SyncStatusEmitter;
  /** Per entity, its download mode: ONLINE objects are not stored, so neither are their contents. */
  modes: Readonly<Record<string, DownloadMode>>;
  /** The file entities, as the server reports them (`syncEntities.isFile`). */
  fileEntities: ReadonlySet<string>;
}

/** What the stage did. */
export interface ContentDownloadResult {
  /** How many contents were fetched and stored. */
  downloaded: number;
  warnings: ContentWarning[];
}

/** One content to fetch: from a signed URL, or (url null) `/files/<hash>` with the token. */
interface WantedContent {
  hash: string;
  url: string | null;
  size: number;
  objects: ObjectKey[];
}

/**
 * The contents to fetch: those of the download's file URLs, then those of file objects already on
 * the device whose content an earlier sync had to skip (the download does not list them again).
 */
function wantedContents(download: StagedDownload, { store, modes, fileEntities }: ContentDownloadDeps): WantedContent[] {
  const byHash = new Map<string, WantedContent>();
  const want = (hash: string, url: string | null, size: number, object: ObjectKey) => {
    if (store.hasContent(hash)) return;
    const wanted = byHash.get(hash) ?? { hash, url, size, objects: [] };
    wanted.objects.push(object);
    byHash.set(hash, wanted);
  };
  const listed = new Set<string>();
  for (const file of download.files) {
    listed.add(objectKey(file.entity, file.id));
    if (modes[file.entity] !== 'ONLINE') want(file.contentHash, file.url, file.size, { entity: file.entity, id: file.id });
  }
  for (const { hash, objects } of store.missingContents()) {
    for (const object of objects) {
      const key = objectKey(object.entity, object.id);
      if (!fileEntities.has(object.entity) || object.synced?.contentHash !== hash || listed.has(key) || download.deleted.has(key)) continue;
      const size = object.synced.size;
      want(hash, null, typeof size === 'number' ? size : 0, { entity: object.entity, id: object.id });
    }
  }
  return [...byHash.values()];
}

const describeReason: Record<ContentWarningReason, string> = {
  missing: 'the server does not have it (HTTP 404)',
  forbidden: 'the server refused it (HTTP 403)',
  'hash-mismatch': 'the bytes received do not match its SHA-256',
};

/** Fetches, verifies and stores the contents the download refers to; see the module comment. */
export async function downloadContents(download: StagedDownload, deps: ContentDownloadDeps): Promise<ContentDownloadResult> {
  const { store, contents, status } = deps;
  const wanted = wantedContents(download, deps);
  const result: ContentDownloadResult = { downloaded: 0, warnings: [] };
  if (wanted.length === 0) return result;
  const totalBytes = wanted.reduce((sum, content) => sum + content.size, 0);
  let bytesDone = 0;
  const report = (done: number) => status.progress('download-contents', { done, total: wanted.length }, { done: bytesDone, total: totalBytes });
  report(0);
  for (const [index, content] of wanted.entries()) {
    let response = await contents.get(content.hash, content.url);
    // A signed URL that expired while earlier contents were fetched: the token still works.
    if (response.status === 'forbidden' && content.url !== null) response = await contents.get(content.hash, null);
    let reason: ContentWarningReason | null = response.status === 'ok' ? null : response.status;
    if (response.status === 'ok') {
      if ((await sha256Hex(response.bytes)) !== content.hash) reason = 'hash-mismatch';
      else {
        const bytes = response.bytes;
        await store.transact('sync', () => ({ changes: { putContents: [{ hash: content.hash, bytes }] }, result: undefined }));
        result.downloaded++;
        bytesDone += bytes.byteLength;
      }
    }
    if (reason !== null) {
      for (const object of content.objects) {
        const message = `${object.entity} ${object.id} is stored without its content ${content.hash}: ${describeReason[reason]}`;
        result.warnings.push({ ...object, contentHash: content.hash, reason, message });
      }
    }
    report(index + 1);
  }
  return result;
}
