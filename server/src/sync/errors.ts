/** Why a single change could not be applied (R13). */
export type FailureReason =
  | 'NOT_FOUND'
  | 'ACCESS_DENIED'
  | 'VALIDATION'
  | 'CONFLICT'
  | 'DANGLING_REFERENCE'
  | 'HOOK_ERROR'
  | 'FILE_MISSING';

export const failureReasons: readonly FailureReason[] = [
  'NOT_FOUND',
  'ACCESS_DENIED',
  'VALIDATION',
  'CONFLICT',
  'DANGLING_REFERENCE',
  'HOOK_ERROR',
  'FILE_MISSING',
];

/** Codes of request-level errors: the whole request is refused and nothing is applied (R11). */
export type RequestErrorCode = 'BAD_REQUEST' | 'LIMIT_EXCEEDED' | 'NOT_FOUND' | 'FORBIDDEN';

/** A request the server refuses as a whole; crosses into GraphQL as an error with this code. */
export class SyncRequestError extends Error {
  readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string) {
    super(message);
    this.name = 'SyncRequestError';
    this.code = code;
  }
}

/** Thrown by a hook to reject a change with VALIDATION; the message reaches the device. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** Thrown by a hook to reject a change with HOOK_ERROR; the message reaches the device. */
export class HookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookError';
  }
}

/**
 * A change that failed: thrown inside the change's savepoint (which rolls it back) and turned
 * into a failure record by the apply stage.
 */
export class ChangeFailure extends Error {
  readonly reason: FailureReason;
  constructor(reason: FailureReason, message: string) {
    super(message);
    this.name = 'ChangeFailure';
    this.reason = reason;
  }
}
