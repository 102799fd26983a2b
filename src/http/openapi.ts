// Small builders for route definitions, so each route states its shapes once.
import type { z } from '@hono/zod-openapi'
import { ErrorBody } from './schemas.js'

export const json = <T extends z.ZodType>(schema: T, description = 'Success') => ({
  content: { 'application/json': { schema } },
  description,
})

export const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
})

const ERROR_DESCRIPTIONS = {
  400: 'Malformed request',
  401: 'Missing, unknown, expired or revoked token',
  403: 'Visible resource, insufficient role',
  404: 'Unknown or invisible resource',
  409: 'Conflict',
  413: 'Body or value too large',
  415: 'Not JSON',
  422: 'Schema violation, bad or reserved name, bad value',
  429: 'Throttled',
} as const

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS

/** Documents the error answers a route can give, all in the one error shape. */
export function errors(...statuses: ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, json(ErrorBody, ERROR_DESCRIPTIONS[status])]),
  ) as Record<ErrorStatus, ReturnType<typeof json<typeof ErrorBody>>>
}

export const noContent = { 204: { description: 'Done; empty body' } } as const

export const BEARER = [{ bearer: [] }]
