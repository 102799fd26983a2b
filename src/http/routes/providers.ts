// AI provider connections and their attachment to environments (SPEC.md §1.5, §3.6).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { body, errors, json, noContent } from '../openapi.js'
import {
  AttachProviderRequest,
  AttachedProvider,
  CreateProviderRequest,
  ProviderConnection,
  ProviderTestResult,
  UpdateProviderRequest,
} from '../provider-schemas.js'
import { success } from '../respond.js'
import { TeamIdQuery, envelope } from '../schemas.js'

const tags = ['AI providers']
const IdParam = z.object({ id: z.string() })
const ENV = '/api/v1/environments/{owner}/{env}/providers'
const EnvParams = z.object({ owner: z.string(), env: z.string() })
const AttachmentParams = EnvParams.extend({ connectionId: z.string() })

const listConnections = createRoute({
  method: 'get',
  path: '/api/v1/providers',
  tags,
  summary: 'Provider connections of your personal scope, or of a team with ?teamId= (never keys)',
  request: { query: TeamIdQuery },
  responses: { 200: json(envelope(z.array(ProviderConnection))), ...errors(401, 404, 422) },
})
const createConnection = createRoute({
  method: 'post',
  path: '/api/v1/providers',
  tags,
  summary: 'Connect a provider: its key is stored encrypted and never shown again',
  request: body(CreateProviderRequest),
  responses: {
    201: json(envelope(ProviderConnection)),
    ...errors(400, 401, 403, 404, 413, 415, 422),
  },
})
const updateConnection = createRoute({
  method: 'patch',
  path: '/api/v1/providers/{id}',
  tags,
  summary: 'Relabel, set a new key (a new version) or a new base URL (custom)',
  request: { params: IdParam, ...body(UpdateProviderRequest) },
  responses: {
    200: json(envelope(ProviderConnection)),
    ...errors(400, 401, 403, 404, 413, 415, 422),
  },
})
const deleteConnection = createRoute({
  method: 'delete',
  path: '/api/v1/providers/{id}',
  tags,
  summary: 'Delete a connection (409 still_linked while attached to an environment)',
  request: { params: IdParam },
  responses: { ...noContent, ...errors(401, 403, 404, 409) },
})
const testConnection = createRoute({
  method: 'post',
  path: '/api/v1/providers/{id}/test',
  tags,
  summary: "Check the key with the provider's GET {baseUrl}/models (never echoes the key)",
  request: { params: IdParam },
  responses: { 200: json(envelope(ProviderTestResult)), ...errors(401, 403, 404) },
})
const listAttached = createRoute({
  method: 'get',
  path: ENV,
  tags,
  summary: 'Provider connections attached to the environment, with the names they inject',
  request: { params: EnvParams },
  responses: { 200: json(envelope(z.array(AttachedProvider))), ...errors(401, 404) },
})
const attach = createRoute({
  method: 'post',
  path: ENV,
  tags,
  summary:
    'Attach a connection of the same owner (one per provider; its names obey the conflict rules)',
  request: { params: EnvParams, ...body(AttachProviderRequest) },
  responses: {
    201: json(envelope(AttachedProvider)),
    ...errors(400, 401, 403, 404, 409, 415, 422),
  },
})
const detach = createRoute({
  method: 'delete',
  path: `${ENV}/{connectionId}`,
  tags,
  summary: 'Detach a connection (the connection itself stays)',
  request: { params: AttachmentParams },
  responses: { ...noContent, ...errors(401, 403, 404) },
})

export function registerProviderRoutes(app: OpenAPIHono<AppEnv>, { providers }: Services): void {
  app.openapi(listConnections, async (c) => {
    const list = await providers.list(c.get('actor'), c.req.valid('query').teamId)
    return c.json(success(list), 200)
  })
  app.openapi(createConnection, async (c) => {
    const created = await providers.create(
      c.get('actor'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(created), 201)
  })
  app.openapi(updateConnection, async (c) => {
    const updated = await providers.update(
      c.get('actor'),
      c.req.valid('param').id,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(updated), 200)
  })
  app.openapi(deleteConnection, async (c) => {
    await providers.delete(c.get('actor'), c.req.valid('param').id, c.get('requestContext'))
    return c.body(null, 204)
  })
  app.openapi(testConnection, async (c) => {
    const result = await providers.test(
      c.get('actor'),
      c.req.valid('param').id,
      c.get('requestContext'),
    )
    return c.json(success(result), 200)
  })
  app.openapi(listAttached, async (c) => {
    const list = await providers.listAttached(c.get('actor'), c.req.valid('param'))
    return c.json(success(list), 200)
  })
  app.openapi(attach, async (c) => {
    const attached = await providers.attach(
      c.get('actor'),
      c.req.valid('param'),
      c.req.valid('json').connectionId,
      c.get('requestContext'),
    )
    return c.json(success(attached), 201)
  })
  app.openapi(detach, async (c) => {
    const { connectionId, ...path } = c.req.valid('param')
    await providers.detach(c.get('actor'), path, connectionId, c.get('requestContext'))
    return c.body(null, 204)
  })
}
