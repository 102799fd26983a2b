// The only place an error code meets a transport: SPEC.md's HTTP statuses and CLI exit codes.
// A new ErrorCode without a row here is a compile error.
import type { ErrorCode } from './domain/errors.js'

export const ERROR_OUTCOMES = {
  bad_request: { httpStatus: 400, exitCode: 1 },
  usage: { httpStatus: 400, exitCode: 2 },
  unauthenticated: { httpStatus: 401, exitCode: 3 },
  forbidden: { httpStatus: 403, exitCode: 1 },
  not_found: { httpStatus: 404, exitCode: 4 },
  secret_not_found: { httpStatus: 404, exitCode: 4 },
  name_conflict: { httpStatus: 409, exitCode: 5 },
  still_linked: { httpStatus: 409, exitCode: 5 },
  provider_conflict: { httpStatus: 409, exitCode: 5 },
  last_admin: { httpStatus: 409, exitCode: 5 },
  use_unlink: { httpStatus: 409, exitCode: 5 },
  too_large: { httpStatus: 413, exitCode: 1 },
  unsupported_media_type: { httpStatus: 415, exitCode: 1 },
  invalid: { httpStatus: 422, exitCode: 1 },
  invalid_value: { httpStatus: 422, exitCode: 1 },
  reserved_name: { httpStatus: 422, exitCode: 1 },
  missing_required: { httpStatus: 422, exitCode: 6 },
  rate_limited: { httpStatus: 429, exitCode: 1 },
  integrity_error: { httpStatus: 500, exitCode: 1 },
  internal: { httpStatus: 500, exitCode: 1 },
  unavailable: { httpStatus: 503, exitCode: 1 },
} as const satisfies Record<ErrorCode, { httpStatus: number; exitCode: number }>

export const httpStatusOf = (code: ErrorCode): number => ERROR_OUTCOMES[code].httpStatus
export const exitCodeOf = (code: ErrorCode): number => ERROR_OUTCOMES[code].exitCode
