import { lt } from 'drizzle-orm';
import type { SyncLimits } from '../config.ts';
import { syncRowHistory, syncTombstones, syncUploads } from '../db/system-tables.ts';
import type { Db } from '../registry/define-entity.ts';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Forgets what the retention periods allow: exactly-once upload records (R4, 90 days by default)
 * and tombstones and row history (R19, 30 days; a device with an older checkpoint gets a
 * complete download).
 */
export async function purgeExpired(db: Db, limits: Pick<SyncLimits, 'uploadRecordDays' | 'tombstoneDays'>, now = new Date()): Promise<void> {
  await db.delete(syncUploads).where(lt(syncUploads.createdAt, new Date(now.getTime() - limits.uploadRecordDays * DAY)));
  const tombstoneHorizon = new Date(now.getTime() - limits.tombstoneDays * DAY);
  await db.delete(syncTombstones).where(lt(syncTombstones.deletedAt, tombstoneHorizon));
  await db.delete(syncRowHistory).where(lt(syncRowHistory.recordedAt, tombstoneHorizon));
}
