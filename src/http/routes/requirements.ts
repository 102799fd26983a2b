// An environment's stored requirements (SPEC.md §3.6): JSON, or the YAML text of a coffer.yaml or
// app.yaml. The one API route that accepts a body other than JSON (see app.ts).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { errors, json } from '../openapi.js'
import { success } from '../respond.js'
import { Requirements, RequirementsRequest, envelope } from '../schemas.js'

const tags = ['Environments']
const PATH = '/api/v1/environments/{owner}/{env}/requirements'
const EnvParams = z.object({ owner: z.string(), env: z.string() })

/** The media types of a coffer.yaml / app.yaml body. */
export const YAML_TYPE = /^(?:application\/(?:x-)?yaml|text\/yaml)\s*(?:;|$)/i
const REQUIREMENTS_PATH = /^\/api\/v1\/environments\/[^/]+\/[^/]+\/requirements\/?$/

/** Whether the request may carry YAML instead of JSON (app.ts answers 415 for anything else). */
export const acceptsYamlBody = (method: string, path: string, contentType: string): boolean =>
  method === 'PUT' && REQUIREMENTS_PATH.test(path) && YAML_TYPE.test(contentType)

const YamlText = z.string().openapi({
  description: 'The text of a coffer.yaml or app.yaml with a `requirements:` section',
})

const getRequirements = createRoute({
  method: 'get',
  path: PATH,
  tags,
  summary: 'The requirements stored on the environment (an empty list when none)',
  request: { params: EnvParams },
  responses: { 200: json(envelope(Requirements)), ...errors(401, 404) },
})
const putRequirements = createRoute({
  method: 'put',
  path: PATH,
  tags,
  summary:
    'Store requirements (JSON, or YAML with Content-Type: application/yaml); an empty list clears them',
  request: {
    params: EnvParams,
    body: {
      // Not `required`: the JSON validator then runs only for JSON bodies, and YAML reaches the
      // handler untouched.
      required: false,
      content: {
        'application/json': { schema: RequirementsRequest },
        'application/yaml': { schema: YamlText },
        'application/x-yaml': { schema: YamlText },
        'text/yaml': { schema: YamlText },
      },
    },
  },
  responses: {
    200: json(envelope(Requirements)),
    ...errors(400, 401, 403, 404, 413, 415, 422),
  },
})

export function registerRequirementsRoutes(
  app: OpenAPIHono<AppEnv>,
  { requirements }: Services,
): void {
  app.openapi(getRequirements, async (c) => {
    return c.json(success(await requirements.get(c.get('actor'), c.req.valid('param'))), 200)
  })
  app.openapi(putRequirements, async (c) => {
    const isYaml = YAML_TYPE.test(c.req.header('content-type') ?? '')
    const input = isYaml
      ? { yaml: await c.req.text() }
      : { secrets: (c.req.valid('json') as { secrets?: unknown[] }).secrets }
    const stored = await requirements.set(
      c.get('actor'),
      c.req.valid('param'),
      input,
      c.get('requestContext'),
    )
    return c.json(success(stored), 200)
  })
}
