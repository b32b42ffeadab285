import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createServerAdapter, getCORSHeadersByRequestAndOptions, sendNodeResponse } from '@whatwg-node/server';
import { AuthError, type Authenticator } from './auth.ts';
import { BodyTooLargeError } from './body-limit.ts';
import { negotiateMediaType, parseParams, parseSearchParams, type GraphQLParams, type JsonMediaType, type PlainResponse, type ServerContext } from './graphql-post.ts';
import { perHeaderValue } from './per-header-value.ts';
import { jsonError } from './responses.ts';

/**
 * The app as a `node:http` request listener. A JSON POST to `/graphql`, and a GET of it with the
 * operation in the query string, are served straight from the Node request: body read within the
 * limit, the viewer authenticated from the header, the operation run by `graphql`
 * (`executeGraphQLPost`). Everything else, and every such request `graphql` declines (a malformed
 * body, a document that does not validate, a mutation by GET), goes through the app's fetch
 * handler, so both paths answer alike: same limits, 401s, errors and CORS headers.
 */

/** What the listener needs from the app. */
export interface NodeHandlerOptions {
  /** The app's fetch handler. */
  fetch(request: Request): Promise<Response>;
  authenticate: Authenticator;
  maxBodyBytes: number;
  /** Runs a GraphQL request; null when it leaves the request to `fetch`. */
  graphql(params: GraphQLParams, context: ServerContext, mediaType: JsonMediaType, method: 'GET' | 'POST'): Promise<PlainResponse | null>;
}

/** A `node:http` request listener. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * How a request to `/graphql` is served directly: 'POST' with a JSON body, 'GET' with a query
 * string (not a browser asking for GraphiQL); null: by the fetch handler.
 */
function directGraphQL(request: IncomingMessage): 'GET' | 'POST' | null {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  if ((query === -1 ? url : url.slice(0, query)) !== '/graphql') return null;
  if (request.method === 'GET') return query !== -1 && !(request.headers.accept ?? '').includes('text/html') ? 'GET' : null;
  if (request.method !== 'POST') return null;
  // As yoga reads it: the first of a list, with or without parameters.
  const contentType = (request.headers['content-type'] ?? '').split(',')[0]!;
  return contentType === 'application/json' || contentType.startsWith('application/json;') ? 'POST' : null;
}

/** The origin of `<protocol>://<host>`, as `URL` normalizes it. */
const originOfAddress = perHeaderValue((address) => {
  try {
    return new URL(address).origin;
  } catch {
    return `${address.slice(0, address.indexOf(':'))}://localhost`;
  }
});

/** The origin the request was addressed to, as the fetch adapter builds it. */
function originOf(request: IncomingMessage): string {
  return originOfAddress(`${(request.socket as TLSSocket).encrypted ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`);
}

/**
 * Reads a request's body within a limit. A class rather than closures: the server runs through
 * tsx, whose `keepNames` names every closure as it is created, and this runs for every request.
 */
class BodyReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  readonly done: Promise<Buffer<ArrayBuffer> | null>;
  private resolve!: (body: Buffer<ArrayBuffer> | null) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly request: IncomingMessage,
    private readonly limit: number,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.onData = this.onData.bind(this);
    this.onEnd = this.onEnd.bind(this);
    this.onError = this.onError.bind(this);
    this.onClose = this.onClose.bind(this);
    request.on('data', this.onData).on('end', this.onEnd).on('error', this.onError).on('close', this.onClose);
  }

  private stop(): void {
    this.request.off('data', this.onData).off('end', this.onEnd).off('error', this.onError).off('close', this.onClose);
  }

  private onData(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size <= this.limit) return void this.chunks.push(chunk);
    this.stop();
    this.resolve(null);
  }

  private onEnd(): void {
    this.stop();
    this.resolve(Buffer.concat(this.chunks, this.size));
  }

  private onError(error: unknown): void {
    this.stop();
    this.reject(error);
  }

  // A client that goes away mid-body ends the request without an 'end'.
  private onClose(): void {
    this.stop();
    this.reject(new Error('The client closed the request before sending its body'));
  }
}

/** The body, or null when it is larger than the limit (the rest is then left unread). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer<ArrayBuffer> | null> {
  return new BodyReader(request, limit).done;
}

/** The fetch `Request` of a Node request whose body (if any) was already read. */
function toRequest(request: IncomingMessage, origin: string, body: Buffer<ArrayBuffer> | null): Request {
  const headers = new Headers();
  for (let i = 0; i < request.rawHeaders.length; i += 2) headers.append(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
  return new Request(`${origin}${request.url ?? '/'}`, { method: request.method, headers, body });
}

/** Bodies up to this many characters are written as text, after the headers in the same write. */
const SMALL_BODY_CHARS = 64 * 1024;

function write(response: ServerResponse, { status, headers, body }: PlainResponse): void {
  if (body.length <= SMALL_BODY_CHARS) {
    // Node sends headers and a text body in one write (a Buffer would go out in a second one).
    response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body, 'utf8') });
    return void response.end(body, 'utf8');
  }
  // Encoded once: a download page's body runs to megabytes.
  const bytes = Buffer.from(body, 'utf8');
  response.writeHead(status, { ...headers, 'content-length': bytes.byteLength });
  response.end(bytes);
}

/** Answers with a fetch `Response` made elsewhere (a refusal, or the fetch handler's answer). */
function refuse(request: IncomingMessage, response: ServerResponse, answer: Response): Promise<void> | void {
  return sendNodeResponse(answer, response, request, false);
}

function tooLarge(request: IncomingMessage, response: ServerResponse, maxBodyBytes: number): Promise<void> | void {
  response.setHeader('connection', 'close');
  return refuse(request, response, jsonError(413, new BodyTooLargeError(maxBodyBytes).message, 'PAYLOAD_TOO_LARGE'));
}

/** The CORS headers yoga adds to the responses it makes (its default: any origin, credentials). */
function corsHeaders(request: IncomingMessage): Record<string, string> | undefined {
  const headers = {
    get(name: string) {
      const value = request.headers[name];
      return value === undefined ? null : value;
    },
  };
  return getCORSHeadersByRequestAndOptions({ headers } as unknown as Request, {}) ?? undefined;
}

/** The listener: GraphQL GETs and JSON POSTs to `/graphql` served directly, everything else by the fetch handler. */
export function createNodeHandler(options: NodeHandlerOptions): NodeHandler {
  const adapter = createServerAdapter((request: Request) => options.fetch(request));

  async function graphql(request: IncomingMessage, response: ServerResponse, method: 'GET' | 'POST'): Promise<void> {
    let body: Buffer<ArrayBuffer> | null = null;
    if (method === 'POST') {
      const declared = request.headers['content-length'];
      if (declared !== undefined && Number(declared) > options.maxBodyBytes) return tooLarge(request, response, options.maxBodyBytes);
      body = await readBody(request, options.maxBodyBytes);
      if (!body) return tooLarge(request, response, options.maxBodyBytes);
    }
    let context: ServerContext;
    try {
      context = { viewer: await options.authenticate(request.headers.authorization), origin: originOf(request) };
    } catch (error) {
      if (error instanceof AuthError) return refuse(request, response, jsonError(401, error.message, 'UNAUTHENTICATED'));
      throw error;
    }
    const mediaType = negotiateMediaType(request.headers.accept);
    const url = request.url!;
    const params = !mediaType ? null : body ? parseParams(body) : parseSearchParams(url.slice(url.indexOf('?') + 1));
    const answer = params && mediaType ? await options.graphql(params, context, mediaType, method) : null;
    if (!answer) return refuse(request, response, await options.fetch(toRequest(request, context.origin, body)));
    const headers = { ...answer.headers };
    for (const [name, value] of Object.entries(corsHeaders(request) ?? {})) headers[name.toLowerCase()] = value;
    write(response, { ...answer, headers });
  }

  return (request, response) => {
    const method = directGraphQL(request);
    if (!method) return void adapter(request, response);
    graphql(request, response, method).catch((error: unknown) => {
      if (request.destroyed && response.destroyed) return; // the client went away: nobody to answer
      console.error('[server] unexpected error:', error);
      if (!response.headersSent) write(response, { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Internal Server Error' });
      else response.destroy();
    });
  };
}
