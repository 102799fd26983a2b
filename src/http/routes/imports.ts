// `.env` import into an environment (SPEC.md §3.6): all or nothing.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { body, errors, json } from '../openapi.js'
import { success } from '../respond.js'
import { ImportRequest, ImportResult, envelope } from '../schemas.js'

const importDotenv = createRoute({
  method: 'post',
  path: '/api/v1/environments/{owner}/{env}/import',
  tags: ['Environments'],
  summary: 'Import a .env file as direct secrets or variables, all or nothing',
  request: { params: z.object({ owner: z.string(), env: z.string() }), ...body(ImportRequest) },
  responses: {
    200: json(envelope(ImportResult)),
    ...errors(400, 401, 403, 404, 409, 413, 415, 422),
  },
})

export function registerImportRoutes(app: OpenAPIHono<AppEnv>, { imports }: Services): void {
  app.openapi(importDotenv, async (c) => {
    const result = await imports.importDotenv(
      c.get('actor'),
      c.req.valid('param'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(result), 200)
  })
}
