import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring download URLs for file contents (F3, F4). The signature binds the content
 * hash, the object it is the content of, the viewer it was issued to (with their roles) and the
 * expiry, so a URL works only for that content, only until it expires, and only while that viewer
 * may still read the object (checked when it is used).
 */

export interface FileUrlClaims {
  hash: string;
  entity: string;
  id: string;
  viewer: string;
  /** The viewer's roles when the URL was signed: read access is checked again when it is used. */
  roles: readonly string[];
  /** Expiry, in seconds since the epoch. */
  expires: number;
}

function signature(secret: string, claims: FileUrlClaims): string {
  const payload = [claims.hash, claims.entity, claims.id, claims.viewer, claims.roles.join(','), claims.expires].join('\n');
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** The path and query of a signed URL: `/files/<hash>?entity=..&id=..&viewer=..&roles=..&expires=..&sig=..`. */
export function signedFilePath(secret: string, claims: FileUrlClaims): string {
  const query = new URLSearchParams({
    entity: claims.entity,
    id: claims.id,
    viewer: claims.viewer,
    roles: claims.roles.join(','),
    expires: String(claims.expires),
    sig: signature(secret, claims),
  });
  return `/files/${claims.hash}?${query.toString()}`;
}

export type SignedUrlCheck = { ok: true; claims: FileUrlClaims } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

/** Checks a signed URL's query for the content hash in its path. */
export function verifySignedFileUrl(secret: string, hash: string, query: URLSearchParams, nowSeconds: number): SignedUrlCheck {
  const sig = query.get('sig');
  if (sig === null) return { ok: false, reason: 'missing' };
  const claims: FileUrlClaims = {
    hash,
    entity: query.get('entity') ?? '',
    id: query.get('id') ?? '',
    viewer: query.get('viewer') ?? '',
    roles: (query.get('roles') ?? '').split(',').filter((r) => r !== ''),
    expires: Number(query.get('expires')),
  };
  if (!Number.isInteger(claims.expires)) return { ok: false, reason: 'invalid' };
  const expected = Buffer.from(signature(secret, claims));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
  if (claims.expires <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
