import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { isContentHash } from '../files/blob-store.ts';
import { verifySignedFileUrl } from '../files/file-urls.ts';
import type { ServerConfig } from '../config.ts';
import type { Viewer } from '../registry/viewer.ts';
import type { ServerServices } from '../services.ts';
import { readWhere } from '../sync/access.ts';
import { getObject } from '../sync/read.ts';
import type { Row } from '../sync/types.ts';
import { AuthError, type Authenticator } from './auth.ts';
import { BodyTooLargeError, limitBody } from './body-limit.ts';
import { jsonError } from './responses.ts';

/**
 * `/files/<sha256>` (F2–F4): PUT uploads content (authenticated, hash verified, idempotent, size
 * limit), HEAD asks whether the server has it, GET downloads it with a signed URL from
 * `SyncResult.files` or with a token whose viewer may read a file object with that content.
 */

export interface FilesRouteOptions {
  services: ServerServices;
  config: ServerConfig;
  authenticate: Authenticator;
}

type Authenticated = { viewer: Viewer } | { response: Response };

export function createFilesRoute({ services, config, authenticate }: FilesRouteOptions) {
  const { blobs } = services;
  const now = services.fileUrls.now ?? Date.now;

  async function viewerOf(request: Request): Promise<Authenticated> {
    try {
      return { viewer: await authenticate(request.headers.get('authorization')) };
    } catch (error) {
      if (error instanceof AuthError) return { response: jsonError(401, error.message, 'UNAUTHENTICATED') };
      throw error;
    }
  }

  /** The first file object with this content the viewer may read, if any. */
  async function readableFileObject(viewer: Viewer, hash: string, only?: { entity: string; id: string }): Promise<Row | null> {
    for (const model of services.registry.list) {
      if (!model.isFile || (only && only.entity !== model.name)) continue;
      if (only) {
        const row = await getObject(services.db, model, viewer, only.id);
        if (row && row.contentHash === hash) return row;
        continue;
      }
      const contentHash = model.attributes.get('contentHash')!.column;
      const [row] = await services.db.select().from(model.table).where(and(eq(contentHash, hash), readWhere(model, viewer))).limit(1);
      if (row) return row;
    }
    return null;
  }

  async function upload(request: Request, hash: string): Promise<Response> {
    const auth = await viewerOf(request);
    if ('response' in auth) return auth.response;
    let body: Uint8Array;
    try {
      body = new Uint8Array(await (await limitBody(request, config.files.maxBytes)).arrayBuffer());
    } catch (error) {
      if (error instanceof BodyTooLargeError) return jsonError(413, `The file is larger than the limit of ${config.files.maxBytes} bytes`, 'PAYLOAD_TOO_LARGE');
      throw error;
    }
    if (body.byteLength > config.files.maxBytes) return jsonError(413, `The file is larger than the limit of ${config.files.maxBytes} bytes`, 'PAYLOAD_TOO_LARGE');
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== hash) return jsonError(400, `The content's SHA-256 is ${actual}, not ${hash}`, 'HASH_MISMATCH');
    if (await blobs.has(hash)) return new Response(null, { status: 200 });
    await blobs.put(hash, body);
    return new Response(null, { status: 201 });
  }

  async function download(request: Request, url: URL, hash: string): Promise<Response> {
    let object: Row | null;
    if (url.searchParams.has('sig')) {
      const check = verifySignedFileUrl(services.fileUrls.secret, hash, url.searchParams, Math.floor(now() / 1000));
      if (!check.ok) {
        const message = check.reason === 'expired' ? 'This file URL has expired' : 'This file URL is not valid';
        return jsonError(403, message, 'FORBIDDEN');
      }
      const { claims } = check;
      object = await readableFileObject({ id: claims.viewer, roles: claims.roles }, hash, { entity: claims.entity, id: claims.id });
      if (!object) return jsonError(403, 'The file this URL was issued for is no longer accessible', 'FORBIDDEN');
    } else {
      const auth = await viewerOf(request);
      if ('response' in auth) return auth.response;
      object = await readableFileObject(auth.viewer, hash);
      if (!object) return jsonError(404, `No file content ${hash} is accessible to you`, 'NOT_FOUND');
    }
    if (request.method === 'HEAD') return new Response(null, { status: 200 });
    const content = await blobs.get(hash);
    if (!content) return jsonError(404, `The server has no content ${hash}`, 'NOT_FOUND');
    return new Response(content, {
      status: 200,
      headers: {
        'content-type': typeof object.contentType === 'string' ? object.contentType : 'application/octet-stream',
        'content-length': String(content.byteLength),
        etag: `"${hash}"`,
        'cache-control': 'private, max-age=31536000, immutable',
      },
    });
  }

  /** Whether the server holds the content (for the device's upload step). */
  async function has(request: Request, hash: string): Promise<Response> {
    const auth = await viewerOf(request);
    if ('response' in auth) return auth.response;
    return new Response(null, { status: (await blobs.has(hash)) ? 200 : 404 });
  }

  return async (request: Request, url: URL): Promise<Response> => {
    const hash = url.pathname.slice('/files/'.length);
    if (!isContentHash(hash)) return jsonError(400, 'Files are addressed by their SHA-256 in lowercase hex: /files/<sha256>', 'BAD_REQUEST');
    switch (request.method) {
      case 'PUT':
        return upload(request, hash);
      case 'HEAD':
        return url.searchParams.has('sig') ? download(request, url, hash) : has(request, hash);
      case 'GET':
        return download(request, url, hash);
      default:
        return new Response(null, { status: 405, headers: { allow: 'PUT, HEAD, GET' } });
    }
  };
}
