import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { ServerConfig } from '../config.ts';
import { buildSchema } from '../graphql/schema.ts';
import { createMaskError, type Logger } from '../graphql/errors.ts';
import type { GraphQLContext } from '../graphql/builder.ts';
import type { Viewer } from '../registry/viewer.ts';
import type { ServerServices } from '../services.ts';
import { AuthError, createAuthenticator } from './auth.ts';
import { BodyTooLargeError, limitBody } from './body-limit.ts';

/**
 * The HTTP application: `/graphql` (GraphiQL in the browser, the API otherwise) behind the body
 * limit and authentication. A fetch handler, so tests call it without a port.
 */

export interface App {
  fetch(request: Request): Promise<Response>;
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

function jsonError(status: number, message: string, code: string): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) },
  });
}

/** The GraphiQL page itself needs no token; the operations it sends do. */
function isGraphiQLPage(request: Request, url: URL): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html') && !url.searchParams.has('query');
}

const disableIntrospection: Plugin = {
  onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
};

export function createApp({ services, config, log = (m, e) => console.error(`[server] ${m}:`, e) }: AppOptions): App {
  const authenticate = createAuthenticator(config);
  const yoga = createYoga<{ viewer: Viewer }, GraphQLContext>({
    schema: buildSchema(services.registry),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: config.graphiql ? { defaultQuery: GRAPHIQL_QUERY, headers: JSON.stringify({ Authorization: 'Bearer dev:alice' }) } : false,
    maskedErrors: { maskError: createMaskError(log) },
    context: ({ viewer }) => ({ viewer, services }),
    plugins: config.introspection ? [] : [disableIntrospection],
    logging: false,
  });
  const anonymous: Viewer = { id: '', roles: [] };

  return {
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname !== '/graphql') return jsonError(404, `Nothing at ${url.pathname}; the API is at /graphql`, 'NOT_FOUND');
      if (config.graphiql && isGraphiQLPage(request, url)) return yoga.handleRequest(request, { viewer: anonymous });
      let limited: Request;
      try {
        limited = await limitBody(request, services.limits.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) return jsonError(413, error.message, 'PAYLOAD_TOO_LARGE');
        throw error;
      }
      let viewer: Viewer;
      try {
        viewer = await authenticate(limited);
      } catch (error) {
        if (error instanceof AuthError) return jsonError(401, error.message, 'UNAUTHENTICATED');
        throw error;
      }
      return yoga.handleRequest(limited, { viewer });
    },
  };
}
