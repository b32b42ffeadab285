/**
 * Refuses request bodies over the limit before GraphQL parses them (R11): by Content-Length when
 * it is sent, otherwise by counting the streamed bytes.
 */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`The request body is larger than the limit of ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Returns the request unchanged, or a copy whose body was read within the limit. */
export async function limitBody(request: Request, limit: number): Promise<Request> {
  if (!request.body) return request;
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (Number(declared) > limit) throw new BodyTooLargeError(limit);
    return request;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  return new Request(request.url, { method: request.method, headers: request.headers, body: Buffer.concat(chunks) });
}
