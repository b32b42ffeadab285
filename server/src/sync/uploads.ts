import { and, eq } from 'drizzle-orm';
import { syncUploads } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import type { Viewer } from '../registry/viewer.ts';
import { SyncRequestError } from './errors.ts';
import type { ChangeOutcome, ObjectKey, UploadOutcome } from './types.ts';

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
  return reviveOutcome(previous.outcome as StoredOutcome | UploadOutcome);
}

/**
 * How an outcome is stored: each outcome as a tuple, and only the affected objects that are not
 * uploaded ones (every uploaded object is affected). A 10 000-change upload stores a third of the
 * JSON the plain shape would.
 */
interface StoredOutcome {
  v: 2;
  outcomes: [string, string, ChangeOutcome['status'], number | null, string | null][];
  failures: UploadOutcome['failures'];
  alsoAffected: ObjectKey[];
}

/** Stores the outcome of a claimed upload, in the same transaction. */
export async function recordUpload(db: Db, clientId: string, syncId: string, outcome: UploadOutcome): Promise<void> {
  const uploaded = new Set(outcome.outcomes.map((o) => `${o.entity}:${o.id}`));
  const stored: StoredOutcome = {
    v: 2,
    outcomes: outcome.outcomes.map((o) => [o.entity, o.id, o.status, o.version, o.failureId]),
    failures: outcome.failures,
    alsoAffected: outcome.affected.filter((k) => !uploaded.has(`${k.entity}:${k.id}`)),
  };
  await db
    .update(syncUploads)
    .set({ outcome: stored })
    .where(and(eq(syncUploads.clientId, clientId), eq(syncUploads.syncId, syncId)));
}

/** The outcome as it was returned, from either stored shape; JSON turned dates into strings. */
function reviveOutcome(stored: StoredOutcome | UploadOutcome): UploadOutcome {
  const failures = stored.failures.map((f) => ({
    ...f,
    createdAt: new Date(f.createdAt),
    resolvedAt: f.resolvedAt ? new Date(f.resolvedAt) : null,
  }));
  if (!('v' in stored)) return { ...stored, failures };
  const outcomes = stored.outcomes.map(([entity, id, status, version, failureId]) => ({ entity, id, status, version, failureId }));
  const affected = [...outcomes.map(({ entity, id }) => ({ entity, id })), ...stored.alsoAffected];
  return { outcomes, failures, affected };
}
