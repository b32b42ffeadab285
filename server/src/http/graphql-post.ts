import { getOperationAST, type ExecutionResult } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { GraphQLContext } from '../graphql/builder.ts';
import { LaneHandOver, type SyncLane } from '../graphql/sync-lane.ts';
import type { SyncResultData } from '../sync/types.ts';
import type { Viewer } from '../registry/viewer.ts';
import { perHeaderValue } from './per-header-value.ts';

/**
 * The common GraphQL-over-HTTP request (a POST with a JSON body, or a GET of a query with its
 * parameters in the URL, asking for a JSON answer) executed straight through yoga's envelop
 * pipeline: the same parse and validation caches, validation
 * rules, context, masked errors and result formatting as `yoga.handleRequest`, without building
 * fetch `Request`/`Response` objects around it. Anything else (a malformed body, a document that
 * does not parse or validate, another media type) is left to yoga, which answers it as always.
 */

/** What yoga's server context carries into `createApp`'s context factory. */
export interface ServerContext {
  viewer: Viewer;
  /** The origin the request was addressed to (file URLs are made absolute with it). */
  origin: string;
  /** The outcome of the sync operation the sync lane ran and handed over (`GraphQLContext.laneOutcome`). */
  laneOutcome?: () => Promise<SyncResultData>;
}

/** The yoga instance the app serves, typed with its contexts. */
export type Yoga = YogaServerInstance<ServerContext, GraphQLContext>;

/** The body of a GraphQL POST request, in the shape served here. */
export interface GraphQLParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** A response ready to be written. */
export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The parameters of a JSON body, or null when yoga should judge it (malformed, unusual fields). */
export function parseParams(body: Buffer): GraphQLParams | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(parsed) || typeof parsed.query !== 'string') return null;
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'query' || value == null) continue;
    if (key === 'variables' && isObject(value)) continue;
    if (key === 'operationName' && typeof value === 'string') continue;
    return null;
  }
  return parsed as unknown as GraphQLParams;
}

/**
 * A query-string value decoded as `URLSearchParams` decodes it (`+` is a space); null when its
 * escapes are not UTF-8, which `URLSearchParams` would let through as they are (yoga then judges).
 * Node's `URLSearchParams` decodes in JavaScript, character by character: for a GET of the SDK's
 * document that cost more than the rest of reading the request.
 */
function decodeComponent(text: string): string | null {
  try {
    return decodeURIComponent(text.includes('+') ? text.replaceAll('+', ' ') : text);
  } catch {
    return null;
  }
}

/** The last document decoded: every GET of an operation repeats its document. */
let lastQuery = { raw: '', decoded: '' as string | null };

/** `decodeComponent` of a document, remembering the last one (comparing costs less than a hash look-up of it). */
function decodeQuery(raw: string): string | null {
  if (raw !== lastQuery.raw) lastQuery = { raw, decoded: decodeComponent(raw) };
  return lastQuery.decoded;
}

/**
 * The parameters of a GET's query string, or null when yoga should judge them: a parameter other
 * than `query`, `variables` and `operationName`, one given twice or empty, variables that are not
 * a JSON object. (Yoga reads the first of each and ignores the rest; it answers those alike.)
 */
export function parseSearchParams(search: string): GraphQLParams | null {
  const params: Partial<Record<keyof GraphQLParams, string>> = {};
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    // A name is taken as written: one spelled with escapes is left to yoga.
    const key = equals === -1 ? pair : pair.slice(0, equals);
    if ((key !== 'query' && key !== 'variables' && key !== 'operationName') || params[key] !== undefined) return null;
    const raw = equals === -1 ? '' : pair.slice(equals + 1);
    const value = key === 'query' ? decodeQuery(raw) : decodeComponent(raw);
    if (value === null || value === '') return null;
    params[key] = value;
  }
  if (params.query === undefined) return null;
  let variables: unknown;
  try {
    variables = params.variables === undefined ? undefined : JSON.parse(params.variables);
  } catch {
    return null;
  }
  if (variables !== undefined && !isObject(variables)) return null;
  return { query: params.query, variables, operationName: params.operationName };
}

/** The JSON media types yoga answers a single result with. */
export type JsonMediaType = 'application/json' | 'application/graphql-response+json';

const STREAMING = ['text/event-stream', 'multipart/mixed'];
const JSON_TYPES: JsonMediaType[] = ['application/graphql-response+json', 'application/json'];

function matches(wanted: string, offered: string): boolean {
  const [type, subtype] = wanted.split('/');
  const [offeredType, offeredSubtype] = offered.split('/');
  return (offeredType === '*' || offeredType === type) && (offeredSubtype === '*' || offeredSubtype === subtype);
}

const negotiateOnce = perHeaderValue(negotiate);

/**
 * The media type yoga's result processors would answer a single result with, given the Accept
 * header (the last match in its order wins: the client's most preferred JSON type); null when it
 * would pick a streaming one or none.
 */
export function negotiateMediaType(accept: string | undefined): JsonMediaType | null {
  return negotiateOnce(accept ?? '');
}

function negotiate(accept: string): JsonMediaType | null {
  const offered: string[] = [];
  for (const entry of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [mediaType, ...params] = entry.split(';');
    const charset = params.find((p) => p.includes('charset=')) ?? 'charset=utf-8';
    if (mediaType !== undefined && charset === 'charset=utf-8') offered.unshift(mediaType);
  }
  let chosen: string | null = null;
  for (const candidates of [STREAMING.slice(0, 1), STREAMING.slice(1), JSON_TYPES]) {
    for (const mediaType of offered) for (const candidate of candidates) if (matches(candidate, mediaType)) chosen = candidate;
  }
  return chosen === 'application/json' || chosen === 'application/graphql-response+json' ? chosen : null;
}

/** Captures what `processRegularResult` would send, without a fetch `Response`. */
class CapturedResponse {
  constructor(
    readonly body: string,
    readonly init: { status: number; headers: Record<string, string> },
  ) {}
}
const capture = { Response: CapturedResponse } as unknown as Parameters<typeof processRegularResult>[1];

/** The one masking boundary (`graphql/errors.ts`), for an error thrown outside a resolver. */
export type MaskError = (error: unknown, message: string) => Error;

/** The sync lane (`sync-lane.ts`), and the GraphQL context of a request as yoga's context factory makes it. */
export interface LaneOptions {
  lane: SyncLane;
  contextOf(context: ServerContext): GraphQLContext;
}

/**
 * Runs the operation and formats its result as yoga would; null, without running anything, when
 * the document does not parse, validate or name an operation to run, or names a mutation in a
 * GET (yoga then answers: 405 for the latter). An operation the sync lane knows runs there first.
 */
export async function executeGraphQLPost(
  yoga: Yoga,
  maskError: MaskError,
  params: GraphQLParams,
  context: ServerContext,
  mediaType: JsonMediaType,
  method: 'GET' | 'POST' = 'POST',
  lane?: LaneOptions,
): Promise<PlainResponse | null> {
  const known = lane?.lane.find(params.query, params.operationName);
  const usable = known && (known.kind === 'query' || method === 'POST');
  const laneResult = usable && (await known.run(params.variables, lane!.contextOf(context)));
  if (laneResult && !(laneResult instanceof LaneHandOver)) return respond(laneResult, mediaType);
  // A hand-over: the lane ran the operation; graphql-js completes its outcome without running it
  // again (the document parsed and validated when the lane learnt it, so it does again here).
  const laneOutcome = laneResult ? laneResult.outcome : undefined;
  // `request` as far as yoga's own parse hook reads it (the method), so that a parse error is
  // decorated (and cached by the parser cache) exactly as when yoga parses it.
  const initial = { ...context, ...(laneOutcome ? { laneOutcome } : {}), params, request: { method } };
  const enveloped = yoga.getEnveloped(initial as unknown as Parameters<Yoga['getEnveloped']>[0]);
  let document;
  try {
    document = enveloped.parse(params.query);
  } catch {
    return null;
  }
  if (enveloped.validate(enveloped.schema, document).length > 0) return null;
  const operation = getOperationAST(document, params.operationName ?? undefined);
  if (!operation || operation.operation === 'subscription' || (method === 'GET' && operation.operation !== 'query')) return null;
  lane?.lane.learn(params.query, params.operationName, document, operation);
  let result: ExecutionResult;
  try {
    const contextValue = await enveloped.contextFactory();
    result = (await enveloped.execute({
      schema: enveloped.schema,
      document,
      contextValue,
      variableValues: params.variables ?? undefined,
      operationName: params.operationName ?? undefined,
    })) as ExecutionResult;
  } catch (error) {
    // Resolver errors are in the result already; this is what yoga does with anything else.
    result = { errors: [maskError(error, 'Unexpected error.') as never] };
  }
  return respond(result, mediaType);
}

/** The response yoga makes of a single result. */
function respond(result: ExecutionResult, mediaType: JsonMediaType): PlainResponse {
  const response = processRegularResult(result, capture, mediaType) as unknown as CapturedResponse;
  return { status: response.init.status, headers: response.init.headers, body: response.body };
}
