import type { InFlightSync } from './change-set.ts';
import type { ContentTransport } from './content-transport.ts';
import type { ObjectKey } from './entity-types.ts';
import { FileUploadError, SyncRequestError } from './errors.ts';
import type { LocalStore } from './local-store.ts';
import type { SyncStatusEmitter } from './sync-status.ts';

/**
 * F2, the stage before `synchronize`: every content a change set refers to and the server may
 * not have is uploaded first, so the server never answers FILE_MISSING for content this device
 * holds. A content is asked for with HEAD (cheap when the server has it, e.g. from another
 * device) and then PUT; one that fails is tried once more; when it fails again the sync stops
 * before its change set is sent.
 */

/** What the stage needs. */
export interface ContentUploadDeps {
  store: LocalStore;
  contents: ContentTransport;
  status: SyncStatusEmitter;
}

/** One content to upload, with the objects that carry it. */
interface PlannedUpload {
  hash: string;
  size: number;
  objects: ObjectKey[];
}

/** What `plannedUploads` reads of a change as it is sent. */
interface WireChange {
  id: string;
  op: string;
  values?: Record<string, unknown> | null;
}

/** The contents of a change set that the server is not known to have and this device holds. */
function plannedUploads(inflight: InFlightSync, store: LocalStore): PlannedUpload[] {
  let known: Set<string> | undefined;
  const byHash = new Map<string, PlannedUpload>();
  // Read off the wire changes as they are: most carry no content, and a large change set is not
  // worth decoding for the few that do.
  for (const wire of inflight.input.changes) {
    for (const entity in wire) {
      const change = (wire as Record<string, WireChange | null | undefined>)[entity];
      const hash = change?.values?.contentHash;
      if (!change || change.op === 'DELETE' || typeof hash !== 'string') continue;
      known ??= new Set(store.meta('uploadedContents') ?? []);
      // Content the device does not hold cannot be sent: the server answers FILE_MISSING for it.
      if (known.has(hash) || !store.hasContent(hash)) continue;
      const size = change.values!.size;
      const planned: PlannedUpload = byHash.get(hash) ?? { hash, size: typeof size === 'number' ? size : 0, objects: [] };
      planned.objects.push({ entity, id: change.id });
      byHash.set(hash, planned);
    }
  }
  return [...byHash.values()];
}

/** Lost connections, timeouts and server errors may pass; a refusal (401, 413, …) will not. */
function transient(error: unknown): boolean {
  return error instanceof SyncRequestError && (error.kind === 'network' || error.kind === 'timeout' || error.kind === 'server');
}

/**
 * Uploads the new contents of a change set. Resolves with how many were sent (PUT); rejects with
 * `FileUploadError` when one could not be uploaded after a retry, having changed nothing.
 */
export async function uploadContents(inflight: InFlightSync, { store, contents, status }: ContentUploadDeps): Promise<number> {
  const planned = plannedUploads(inflight, store);
  if (planned.length === 0) return 0;
  const totalBytes = planned.reduce((sum, upload) => sum + upload.size, 0);
  let bytesDone = 0;
  let sent = 0;
  const confirmed: string[] = [];
  const report = (done: number) => status.progress('upload-contents', { done, total: planned.length }, { done: bytesDone, total: totalBytes });
  report(0);
  for (const [index, upload] of planned.entries()) {
    const bytes = await store.readContent(upload.hash);
    // Removed meanwhile (its objects were deleted): nothing refers to it any more.
    if (bytes === null) continue;
    const attempt = async () => {
      if (await contents.has(upload.hash)) return;
      await contents.put(upload.hash, bytes);
      sent++;
    };
    try {
      await attempt().catch((error: unknown) => {
        if (!transient(error)) throw error;
        return attempt();
      });
    } catch (error) {
      if (error instanceof SyncRequestError) throw new FileUploadError(error, upload.hash, upload.objects);
      throw error;
    }
    confirmed.push(upload.hash);
    bytesDone += upload.size;
    report(index + 1);
  }
  await store.transact('sync', () => ({
    changes: { meta: { uploadedContents: [...(store.meta('uploadedContents') ?? []), ...confirmed] } },
    result: undefined,
  }));
  return sent;
}
