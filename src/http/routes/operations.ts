// Health, readiness and the OpenAPI document: the routes that need no token.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { json } from '../openapi.js'

const Health = z.object({ status: z.literal('ok') })

// Probes answer at the root (for load balancers) and under /api/v1 (SPEC.md's base path).
const healthz = (path: string) =>
  createRoute({
    method: 'get',
    path,
    tags: ['Operations'],
    summary: 'The process is up',
    security: [],
    responses: { 200: json(Health) },
  })
const readyz = (path: string) =>
  createRoute({
    method: 'get',
    path,
    tags: ['Operations'],
    summary: 'The database answers and migrations are current',
    responses: {
      200: json(Health),
      503: json(z.object({ status: z.literal('unavailable'), detail: z.string() }), 'Not ready'),
    },
  })

export function registerOperationsRoutes(app: OpenAPIHono<AppEnv>, services: Services): void {
  for (const prefix of ['', '/api/v1']) {
    app.openapi(healthz(`${prefix}/healthz`), (c) => c.json({ status: 'ok' as const }, 200))
    app.openapi(readyz(`${prefix}/readyz`), async (c) => {
      try {
        await services.checkReady()
        return c.json({ status: 'ok' as const }, 200)
      } catch {
        const detail = 'The database is unreachable or its migrations are not current'
        return c.json({ status: 'unavailable' as const, detail }, 503)
      }
    })
  }
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A personal token (`cfp_…`) or a runtime token (`cft_…`)',
  })
  app.doc31('/api/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Coffer API',
      version: '1',
      description:
        'Self-hosted secrets manager for agent and app runtimes. Values are write-only: no route but resolve returns one.',
    },
    security: [{ bearer: [] }],
  })
}
