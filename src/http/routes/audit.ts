// The audit trail (SPEC.md §3.9): events of the owners the actor administers.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import { CofferError } from '../../domain/errors.js'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { errors, json } from '../openapi.js'
import { page } from '../respond.js'
import { AuditEvent, AuditQuery, pagedEnvelope } from '../schemas.js'

const listAudit = createRoute({
  method: 'get',
  path: '/api/v1/audit',
  tags: ['Audit'],
  summary: 'Audit events, newest first, hash-chained per owner',
  request: { query: AuditQuery },
  responses: { 200: json(pagedEnvelope(AuditEvent)), ...errors(400, 401, 403, 404, 422) },
})

const DURATION = /^(\d{1,6})([smhd])$/
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `since` is an ISO time or a duration back from now (`15m`, `1h`, `7d`). */
export function parseSince(since: string, now: Date): string {
  const duration = DURATION.exec(since)
  if (duration) {
    const unit = duration[2] as keyof typeof UNIT_MS
    return new Date(now.getTime() - Number(duration[1]) * UNIT_MS[unit]).toISOString()
  }
  const at = Date.parse(since)
  if (Number.isNaN(at)) {
    throw new CofferError(
      'invalid',
      'since must be an ISO-8601 time or a duration such as 15m, 1h or 7d',
      { param: 'query.since' },
    )
  }
  return new Date(at).toISOString()
}

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, { audit }: Services): void {
  app.openapi(listAudit, async (c) => {
    const query = c.req.valid('query')
    const result = await audit.list(c.get('actor'), {
      limit: query.limit,
      ...(query.owner !== undefined ? { owner: query.owner } : {}),
      ...(query.action !== undefined ? { action: query.action } : {}),
      ...(query.since !== undefined ? { since: parseSince(query.since, new Date()) } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    })
    return c.json(page(result.items, result.nextCursor), 200)
  })
}
