import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import { SyncRequestError } from '../sync/errors.ts';

/**
 * The one boundary where errors cross into GraphQL: request errors keep their message and code,
 * a database that is away says so, everything else is masked (its details are logged only).
 */

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

function findCause<T>(error: unknown, test: (e: unknown) => e is T): T | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause, depth++) {
    if (test(e)) return e;
  }
  return undefined;
}

function isUnavailable(error: unknown): error is { code: string } {
  return typeof error === 'object' && error !== null && UNAVAILABLE_CODES.has(String((error as { code?: unknown }).code));
}

export type Logger = (message: string, error: unknown) => void;

export function createMaskError(log: Logger) {
  return (error: unknown, message: string): Error => {
    // GraphQL's own errors (syntax, validation, coercion) pass through yoga's masking unchanged.
    const at = error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {};
    const request = findCause(error, (e): e is SyncRequestError => e instanceof SyncRequestError);
    if (request) return new GraphQLError(request.message, { ...at, extensions: { code: request.code } });
    if (findCause(error, isUnavailable)) {
      log('database unavailable', error);
      return new GraphQLError('The database is unavailable; try again later', { ...at, extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    const masked = yogaMaskError(error, message, false);
    if (masked !== error) log('unexpected error', error);
    return masked;
  };
}
