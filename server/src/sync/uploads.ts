import { and, eq } from 'drizzle-orm';
import { syncUploads } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import type { Viewer } from '../registry/viewer.ts';
import { SyncRequestError } from './errors.ts';
import type { UploadOutcome } from './types.ts';

/**
 * R4 exactly-once: an upload claims `(clientId, syncId)` by inserting its row in the sync
 * transaction. A concurrent retry (on any server instance) waits on that row's key until the
 * first commits, then finds it taken and replays the recorded outcome.
 */

/** Claims the upload; returns the recorded outcome when it was applied before. */
export async function claimUpload(db: Db, viewer: Viewer, clientId: string, syncId: string, now: Date): Promise<UploadOutcome | null> {
  const claimed = await db
    .insert(syncUploads)
    .values({ clientId, syncId, viewerId: viewer.id, createdAt: now })
    .onConflictDoNothing()
    .returning({ clientId: syncUploads.clientId });
  if (claimed.length > 0) return null;
  const [previous] = await db
    .select()
    .from(syncUploads)
    .where(and(eq(syncUploads.clientId, clientId), eq(syncUploads.syncId, syncId)));
  if (!previous || previous.viewerId !== viewer.id) {
    throw new SyncRequestError('FORBIDDEN', `syncId ${syncId} of client ${clientId} was used by another user`);
  }
  return reviveOutcome(previous.outcome as UploadOutcome);
}

/** Stores the outcome of a claimed upload, in the same transaction. */
export async function recordUpload(db: Db, clientId: string, syncId: string, outcome: UploadOutcome): Promise<void> {
  await db
    .update(syncUploads)
    .set({ outcome })
    .where(and(eq(syncUploads.clientId, clientId), eq(syncUploads.syncId, syncId)));
}

/** JSON turns dates into strings; give the replayed failure records their dates back. */
function reviveOutcome(outcome: UploadOutcome): UploadOutcome {
  return {
    ...outcome,
    failures: outcome.failures.map((f) => ({
      ...f,
      createdAt: new Date(f.createdAt),
      resolvedAt: f.resolvedAt ? new Date(f.resolvedAt) : null,
    })),
  };
}
