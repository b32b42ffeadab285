import { execute, NoSchemaIntrospectionCustomRule } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { ServerConfig } from '../config.ts';
import { buildSchema } from '../graphql/schema.ts';
import { createMaskError, type Logger } from '../graphql/errors.ts';
import { createSyncLane } from '../graphql/sync-lane.ts';
import { objectListsPlugin } from '../graphql/object-lists.ts';
import { queryLimitsRule } from '../graphql/query-limits.ts';
import type { GraphQLContext } from '../graphql/builder.ts';
import type { Viewer } from '../registry/viewer.ts';
import type { ServerServices } from '../services.ts';
import { AuthError, createAuthenticator } from './auth.ts';
import { BodyTooLargeError, limitBody } from './body-limit.ts';
import { createFilesRoute } from './files-route.ts';
import { executeGraphQLPost, type ServerContext, type Yoga } from './graphql-post.ts';
import { createNodeHandler, type NodeHandler } from './node-handler.ts';
import { jsonError } from './responses.ts';

/**
 * The HTTP application: `/graphql` (GraphiQL in the browser, the API otherwise) behind the body
 * limit and authentication, and `/files/<sha256>` for file contents. A fetch handler, so tests
 * call it without a port, and the same app as a `node:http` listener, which serves the common
 * GraphQL POST without the fetch `Request`/`Response` round trip (`node-handler.ts`).
 */

export interface App {
  fetch(request: Request): Promise<Response>;
  /** The `node:http` request listener `npm start` serves. */
  handleNode: NodeHandler;
}

export interface AppOptions {
  services: ServerServices;
  config: ServerConfig;
  log?: Logger;
}

const GRAPHIQL_QUERY = `# You are alice (see the Headers tab: Bearer dev:alice). Try:
query MyWorkOrders {
  workOrders(filter: { status: OPEN }) { items { id title status dueDate isOverdue } totalCount }
  syncEntities { entity downloadMode }
}
`;

/** The GraphiQL page itself needs no token; the operations it sends do. */
function isGraphiQLPage(request: Request, url: URL): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html') && !url.searchParams.has('query');
}

/**
 * The name of a GET's `variables` or `extensions` parameter that is not JSON, if any. Yoga reads
 * them with a bare `JSON.parse` and answers the exception as an unexpected error (HTTP 500); the
 * request is the client's mistake, refused like a POST body that is not JSON.
 */
function malformedJsonParameter(request: Request, url: URL): string | null {
  if (request.method !== 'GET') return null;
  for (const name of ['variables', 'extensions']) {
    const value = url.searchParams.get(name);
    if (!value) continue;
    try {
      JSON.parse(value);
    } catch {
      return name;
    }
  }
  return null;
}

/**
 * Operations run by graphql-js's own `execute`, not yoga's default executor: that one is a fork
 * for @defer/@stream and cancellation, which the sync API does not use, and it copies every input
 * variable before coercing it (a tenth of the server's work for a 10 000-change upload).
 */
const graphqlJsExecute: Plugin = {
  onExecute: ({ setExecuteFn }) => setExecuteFn(execute as Parameters<typeof setExecuteFn>[0]),
};

const disableIntrospection: Plugin = {
  onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
};

export function createApp({ services, config, log = (m, e) => console.error(`[server] ${m}:`, e) }: AppOptions): App {
  const authenticate = createAuthenticator(config);
  const limitRule = queryLimitsRule({ maxDepth: services.limits.maxQueryDepth, maxFields: services.limits.maxQueryFields });
  const queryLimits: Plugin = { onValidate: ({ addValidationRule }) => addValidationRule(limitRule) };
  const maskError = createMaskError(log);
  const schema = buildSchema(services.registry);
  const contextOf = ({ viewer, origin, laneOutcome }: ServerContext): GraphQLContext => ({
    viewer,
    services,
    baseUrl: config.publicUrl ?? origin,
    ...(laneOutcome ? { laneOutcome } : {}),
  });
  const yoga: Yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: config.graphiql ? { defaultQuery: GRAPHIQL_QUERY, headers: JSON.stringify({ Authorization: 'Bearer dev:alice' }) } : false,
    maskedErrors: { maskError },
    context: contextOf,
    plugins: [graphqlJsExecute, queryLimits, objectListsPlugin, ...(config.introspection ? [] : [disableIntrospection])],
    // One operation per request: batches would multiply the limits above.
    batching: false,
    logging: false,
  });
  const anonymous: Viewer = { id: '', roles: [] };
  const files = createFilesRoute({ services, config, authenticate });

  async function fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/files/')) return files(request, url);
    if (url.pathname !== '/graphql') return jsonError(404, `Nothing at ${url.pathname}; the API is at /graphql and /files/<sha256>`, 'NOT_FOUND');
    if (config.graphiql && isGraphiQLPage(request, url)) return yoga.handleRequest(request, { viewer: anonymous, origin: url.origin });
    let limited: Request;
    try {
      limited = await limitBody(request, services.limits.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return jsonError(413, error.message, 'PAYLOAD_TOO_LARGE');
      throw error;
    }
    let viewer: Viewer;
    try {
      viewer = await authenticate(limited.headers.get('authorization'));
    } catch (error) {
      if (error instanceof AuthError) return jsonError(401, error.message, 'UNAUTHENTICATED');
      throw error;
    }
    const malformed = malformedJsonParameter(limited, url);
    if (malformed) return jsonError(400, `The ${malformed} parameter is not valid JSON`, 'BAD_REQUEST');
    return yoga.handleRequest(limited, { viewer, origin: url.origin });
  }

  const lane = config.syncLane ? { lane: createSyncLane(schema, services.registry), contextOf } : undefined;
  const handleNode = createNodeHandler({
    fetch,
    authenticate,
    maxBodyBytes: services.limits.maxBodyBytes,
    graphql: (params, context, mediaType, method) => executeGraphQLPost(yoga, maskError, params, context, mediaType, method, lane),
  });
  return { fetch, handleNode };
}
