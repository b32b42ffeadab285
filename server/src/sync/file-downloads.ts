import { signedFilePath } from '../files/file-urls.ts';
import type { Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import type { FileUrlData, SyncObjectData } from './types.ts';

/** How download URLs are signed: the secret shared by all instances and how long URLs work. */
export interface FileUrlSigner {
  secret: string;
  ttlSeconds: number;
  /** The clock, in milliseconds; injectable so tests can expire URLs. */
  now?: () => number;
}

/**
 * F3: a signed, expiring URL for the content of each upserted file object. The URL's path is
 * relative (`/files/<hash>?...`); the HTTP layer makes it absolute with the server's origin.
 */
export function fileUrlsFor(
  core: { registry: Registry; fileUrls: FileUrlSigner },
  viewer: Viewer,
  upserted: readonly SyncObjectData[],
): FileUrlData[] {
  const { secret, ttlSeconds, now = Date.now } = core.fileUrls;
  const expires = Math.floor(now() / 1000) + ttlSeconds;
  const files: FileUrlData[] = [];
  for (const { entity, row } of upserted) {
    if (!core.registry.get(entity)?.isFile) continue;
    const hash = row.contentHash as string;
    const id = row.id as string;
    files.push({
      entity,
      id,
      contentHash: hash,
      size: row.size as number,
      url: signedFilePath(secret, { hash, entity, id, viewer: viewer.id, roles: viewer.roles, expires }),
      expiresAt: new Date(expires * 1000),
    });
  }
  return files;
}
