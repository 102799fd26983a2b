// Runtime tokens, resolve, status and the revision long poll (SPEC.md §3.3 status, §3.6 tokens,
// §3.7 resolve and watch).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import { MAX_WAIT_SECONDS } from '../../services/revision-notifier.js'
import type { AppEnv } from '../context.js'
import { body, errors, json, noContent } from '../openapi.js'
import { success } from '../respond.js'
import {
  CreateRuntimeTokenRequest,
  EnvironmentStatus,
  IssuedRuntimeToken,
  ResolveRequest,
  Resolved,
  Revision,
  RevisionQuery,
  RotateRuntimeTokenRequest,
  RuntimeToken,
  envelope,
} from '../schemas.js'

const tags = ['Runtime']
const BASE = '/api/v1/environments/{owner}/{env}'
const EnvParams = z.object({ owner: z.string(), env: z.string() })
const TokenParams = EnvParams.extend({ id: z.string() })

const listTokens = createRoute({
  method: 'get',
  path: `${BASE}/tokens`,
  tags,
  summary: 'Runtime tokens of an environment (viewers and up; never the strings)',
  request: { params: EnvParams },
  responses: { 200: json(envelope(z.array(RuntimeToken))), ...errors(401, 403, 404) },
})
const createToken = createRoute({
  method: 'post',
  path: `${BASE}/tokens`,
  tags,
  summary: 'Create a runtime token (members and up); its string is shown once',
  request: { params: EnvParams, ...body(CreateRuntimeTokenRequest) },
  responses: {
    201: json(envelope(IssuedRuntimeToken)),
    ...errors(400, 401, 403, 404, 415, 422),
  },
})
const rotateToken = createRoute({
  method: 'post',
  path: `${BASE}/tokens/{id}/rotate`,
  tags,
  summary: 'A new string for the token; the old one stops now or after graceSeconds (≤ 86,400)',
  request: {
    params: TokenParams,
    body: {
      content: { 'application/json': { schema: RotateRuntimeTokenRequest } },
      required: false,
    },
  },
  responses: { 200: json(envelope(IssuedRuntimeToken)), ...errors(400, 401, 403, 404, 415, 422) },
})
const deleteToken = createRoute({
  method: 'delete',
  path: `${BASE}/tokens/{id}`,
  tags,
  summary: 'Revoke a runtime token (its strings stop working at once)',
  request: { params: TokenParams },
  responses: { ...noContent, ...errors(401, 403, 404) },
})
const resolve = createRoute({
  method: 'post',
  path: `${BASE}/resolve`,
  tags,
  summary:
    'The values to inject: runtime tokens of this environment and members and up (Cache-Control: no-store)',
  request: {
    params: EnvParams,
    body: { content: { 'application/json': { schema: ResolveRequest } }, required: false },
  },
  responses: { 200: json(envelope(Resolved)), ...errors(400, 401, 403, 404, 415, 422) },
})
const status = createRoute({
  method: 'get',
  path: `${BASE}/status`,
  tags,
  summary: 'Revision, requirements, missing required keys, and consumers with their sync',
  request: { params: EnvParams },
  responses: { 200: json(envelope(EnvironmentStatus)), ...errors(401, 403, 404) },
})
const revision = createRoute({
  method: 'get',
  path: `${BASE}/revision`,
  tags,
  summary: `Long poll: answers once the revision exceeds \`after\`, or after \`waitSeconds\` (≤ ${MAX_WAIT_SECONDS}) with the current one`,
  request: { params: EnvParams, query: RevisionQuery },
  responses: { 200: json(envelope(Revision)), ...errors(400, 401, 403, 404, 422) },
})

/** These routes take an optional body: without one, the validator hands over nothing. */
const optionalBody = <T extends object>(sent: T | undefined): Partial<T> => sent ?? {}

export function registerRuntimeRoutes(app: OpenAPIHono<AppEnv>, services: Services): void {
  const { runtimeTokens, environments } = services

  app.openapi(listTokens, async (c) => {
    return c.json(success(await runtimeTokens.list(c.get('actor'), c.req.valid('param'))), 200)
  })
  app.openapi(createToken, async (c) => {
    const created = await runtimeTokens.create(
      c.get('actor'),
      c.req.valid('param'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    c.header('Cache-Control', 'no-store')
    return c.json(success(created), 201)
  })
  app.openapi(rotateToken, async (c) => {
    const { id, ...path } = c.req.valid('param')
    const rotated = await runtimeTokens.rotate(
      c.get('actor'),
      path,
      id,
      optionalBody(c.req.valid('json')),
      c.get('requestContext'),
    )
    c.header('Cache-Control', 'no-store')
    return c.json(success(rotated), 200)
  })
  app.openapi(deleteToken, async (c) => {
    const { id, ...path } = c.req.valid('param')
    await runtimeTokens.delete(c.get('actor'), path, id, c.get('requestContext'))
    return c.body(null, 204)
  })

  app.openapi(resolve, async (c) => {
    const resolved = await services.resolve.resolve(
      c.get('actor'),
      c.req.valid('param'),
      optionalBody(c.req.valid('json')),
      c.get('requestContext'),
    )
    // Serialized once by the service; wrapped in the success envelope here.
    return c.body(`{"data":${resolved.json},"status":"success"}`, 200, {
      'Content-Type': 'application/json',
      // Security: values must not stay in caches between here and the process.
      'Cache-Control': 'no-store',
    }) as never
  })

  app.openapi(status, async (c) => {
    return c.json(success(await services.status.status(c.get('actor'), c.req.valid('param'))), 200)
  })

  app.openapi(revision, async (c) => {
    const { owner, env } = c.req.valid('param')
    const { after, waitSeconds } = c.req.valid('query')
    const { environment } = await environments.visible(c.get('actor'), owner, env, 'env.watch')
    if (after === undefined) return c.json(success({ revision: environment.revision }), 200)
    const current = await services.revisions.waitFor({
      environmentId: environment.id,
      after,
      known: environment.revision,
      timeoutMs: waitSeconds * 1000,
      signal: c.req.raw.signal,
    })
    c.header('Cache-Control', 'no-store')
    return c.json(success({ revision: current }), 200)
  })
}
