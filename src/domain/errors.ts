// The error taxonomy: every failure a client can see is a CofferError with SPEC.md's codes.
// `details` may name secrets, environments and owners, never a value.

export type ErrorCode =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'secret_not_found'
  | 'name_conflict'
  | 'still_linked'
  | 'provider_conflict'
  | 'last_admin'
  | 'use_unlink'
  | 'too_large'
  | 'unsupported_media_type'
  | 'invalid'
  | 'invalid_value'
  | 'reserved_name'
  | 'missing_required'
  | 'rate_limited'
  | 'usage'
  | 'unavailable'
  | 'integrity_error'
  | 'internal'

export type ErrorItem = Readonly<{ code: ErrorCode; param: string; details: string }>

export interface CofferErrorOptions {
  readonly param?: string
  readonly more?: readonly ErrorItem[]
  readonly cause?: unknown
}

export class CofferError extends Error {
  override readonly name = 'CofferError'
  /** The body's `errors`; the first item decides the status. */
  readonly items: readonly [ErrorItem, ...ErrorItem[]]

  constructor(code: ErrorCode, details: string, options: CofferErrorOptions = {}) {
    super(details, { cause: options.cause })
    this.items = [{ code, param: options.param ?? '', details }, ...(options.more ?? [])]
  }

  get code(): ErrorCode {
    return this.items[0].code
  }

  /** One error carrying several items (e.g. every missing key), all of the first item's code. */
  static of(items: readonly [ErrorItem, ...ErrorItem[]]): CofferError {
    const [first, ...rest] = items
    return new CofferError(first.code, first.details, { param: first.param, more: rest })
  }
}

export const isCofferError = (error: unknown): error is CofferError => error instanceof CofferError

/** Anything but a CofferError may carry driver text or echoed input: never show it. */
export const asCofferError = (error: unknown): CofferError =>
  error instanceof CofferError
    ? error
    : new CofferError('internal', 'Internal error', { cause: error })
