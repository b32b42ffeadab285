import { and, desc, eq, isNull, type SQL } from 'drizzle-orm';
import { syncFailures } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';
import { isAdmin, type Viewer } from '../registry/viewer.ts';
import { SyncRequestError, type FailureReason } from './errors.ts';
import type { FailureRecord } from './types.ts';
import { MAX_PARAMETERS } from './bulk-write.ts';

/** R13: storing, listing and resolving failure records. */

type FailureRow = typeof syncFailures.$inferSelect;

function toRecord(row: FailureRow): FailureRecord {
  return { ...row, reason: row.reason as FailureReason };
}

/** Stores the failure records of an upload, in its transaction. */
export async function insertFailures(db: Db, failures: readonly FailureRecord[]): Promise<void> {
  const chunk = Math.floor(MAX_PARAMETERS / 12);
  for (let start = 0; start < failures.length; start += chunk) {
    await db.insert(syncFailures).values(failures.slice(start, start + chunk));
  }
}

/** The failures a viewer may see: their own; admins see all. */
function visibleTo(viewer: Viewer): SQL | undefined {
  return isAdmin(viewer) ? undefined : eq(syncFailures.viewerId, viewer.id);
}

export interface FailureQuery {
  entity?: string | null;
  includeResolved?: boolean | null;
  first: number;
  offset: number;
}

/** Lists the viewer's failure records, newest first. */
export async function listFailures(db: Db, viewer: Viewer, query: FailureQuery): Promise<FailureRecord[]> {
  const rows = await db
    .select()
    .from(syncFailures)
    .where(
      and(
        visibleTo(viewer),
        query.entity ? eq(syncFailures.entity, query.entity) : undefined,
        query.includeResolved ? undefined : isNull(syncFailures.resolvedAt),
      ),
    )
    .orderBy(desc(syncFailures.createdAt), desc(syncFailures.id))
    .limit(query.first)
    .offset(query.offset);
  return rows.map(toRecord);
}

/** Marks a failure record resolved; resolving twice is harmless. */
export async function resolveFailure(db: Db, viewer: Viewer, id: string, now: Date): Promise<FailureRecord> {
  const [existing] = await db.select().from(syncFailures).where(and(eq(syncFailures.id, id), visibleTo(viewer)));
  if (!existing) throw new SyncRequestError('NOT_FOUND', `No synchronization failure ${id} visible to you`);
  if (existing.resolvedAt) return toRecord(existing);
  const [row] = await db
    .update(syncFailures)
    .set({ resolvedAt: now, resolvedBy: viewer.id })
    .where(eq(syncFailures.id, id))
    .returning();
  return toRecord(row!);
}
