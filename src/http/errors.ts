// Turns anything thrown while serving a request into SPEC.md's error body and status.
import type { ZodError } from 'zod'
import { HTTPException } from 'hono/http-exception'
import { CofferError, asCofferError, type ErrorItem } from '../domain/errors.js'
import { httpStatusOf } from '../error-outcomes.js'

export interface ErrorResponse {
  readonly status: number
  readonly body: { detail: string; errors: ErrorItem[] }
}

export function errorResponse(error: unknown): ErrorResponse {
  const failure = error instanceof HTTPException ? fromHttpException(error) : asCofferError(error)
  return {
    status: httpStatusOf(failure.code),
    body: { detail: failure.message, errors: [...failure.items] },
  }
}

/** Hono's own refusals (malformed JSON, media type, body size) in our taxonomy. */
function fromHttpException(error: HTTPException): CofferError {
  switch (error.status) {
    case 400:
      return new CofferError('bad_request', 'The request body is not valid JSON', { param: 'body' })
    case 413:
      return new CofferError('too_large', 'The request body is larger than 1 MiB', {
        param: 'body',
      })
    case 415:
      return unsupportedMediaType()
    default:
      return new CofferError('bad_request', 'The request was refused', { cause: error })
  }
}

export const unsupportedMediaType = (): CofferError =>
  new CofferError(
    'unsupported_media_type',
    'API requests must send JSON with Content-Type: application/json',
    { param: 'header.content-type' },
  )

const TARGET_PREFIX: Record<string, string> = {
  json: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
}

/** One `invalid` item per zod issue, `param` pointing at the field (e.g. `body.name`). Never
 *  includes the input: zod's `reportInput` stays off, so messages carry no values. */
export function validationError(error: ZodError, target: string): CofferError {
  const prefix = TARGET_PREFIX[target] ?? target
  const items: ErrorItem[] = error.issues.flatMap((issue): ErrorItem[] => {
    const at = [prefix, ...issue.path.map(String)].join('.')
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        code: 'invalid',
        param: `${at}.${key}`,
        details: `Unknown field ${at}.${key}: check its spelling (unknown fields are refused so a typo cannot drop a value)`,
      }))
    }
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined')
    const details = missing ? `${at} is required` : `Invalid ${at}: ${issue.message}`
    return [{ code: 'invalid', param: at, details }]
  })
  const [first, ...rest] = items
  if (!first) return new CofferError('invalid', 'The request is invalid')
  return CofferError.of([first, ...rest])
}
