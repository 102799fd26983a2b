// Compatibility routes for the seed platform's CLI (SPEC.md §3.8): aliases of the environment
// routes that name the environment by id and return whole lists (no paging).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { body, errors, json, noContent } from '../openapi.js'
import { success } from '../respond.js'
import {
  CreateDirectSecretRequest,
  CreateVariableRequest,
  Environment,
  HubLink,
  HubLinkRequest,
  HubSecret,
  IssuedHubSecret,
  UpdateSecretRequest,
  UpdateVariableRequest,
  Variable,
  envelope,
} from '../schemas.js'

const tags = ['Seed compatibility']
const BASE = '/api/v1/environmentshub/{envId}'
const EnvParams = z.object({ envId: z.string() })
const EntryParams = EnvParams.extend({ id: z.string() })
const LinkParams = EnvParams.extend({ globalSecretId: z.string() })

const latest = createRoute({
  method: 'get',
  path: '/api/v1/environmentshub/{owner}/{name}/@latest',
  tags,
  summary: 'The environment owner/name (its `id` names it in the other routes here)',
  request: { params: z.object({ owner: z.string(), name: z.string() }) },
  responses: { 200: json(envelope(Environment)), ...errors(401, 404) },
})
const listSecrets = createRoute({
  method: 'get',
  path: `${BASE}/secrets`,
  tags,
  summary: 'Direct and linked secrets, all of them, with their source (never values)',
  request: { params: EnvParams },
  responses: { 200: json(envelope(z.array(HubSecret))), ...errors(401, 404) },
})
const createSecret = createRoute({
  method: 'post',
  path: `${BASE}/secrets`,
  tags,
  summary: 'Create a direct secret',
  request: { params: EnvParams, ...body(CreateDirectSecretRequest) },
  responses: {
    201: json(envelope(IssuedHubSecret)),
    ...errors(400, 401, 403, 404, 409, 413, 415, 422),
  },
})
const updateSecret = createRoute({
  method: 'patch',
  path: `${BASE}/secrets/{id}`,
  tags,
  summary: 'Rename, describe, or set a new value of a direct secret',
  request: { params: EntryParams, ...body(UpdateSecretRequest) },
  responses: { 200: json(envelope(HubSecret)), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
})
const deleteSecret = createRoute({
  method: 'delete',
  path: `${BASE}/secrets/{id}`,
  tags,
  summary: 'Delete a direct secret (a linked item answers 409 use_unlink)',
  request: { params: EntryParams },
  responses: { ...noContent, ...errors(401, 403, 404, 409) },
})
const link = createRoute({
  method: 'post',
  path: `${BASE}/secrets/link/{globalSecretId}`,
  tags,
  summary: 'Link a global secret of the same owner (body `{}` or none)',
  request: {
    params: LinkParams,
    body: { required: false, content: { 'application/json': { schema: HubLinkRequest } } },
  },
  responses: { 201: json(envelope(HubLink)), ...errors(400, 401, 403, 404, 409, 415, 422) },
})
const unlink = createRoute({
  method: 'delete',
  path: `${BASE}/secrets/link/{globalSecretId}`,
  tags,
  summary: 'Unlink a global secret (the secret itself stays)',
  request: { params: LinkParams },
  responses: { ...noContent, ...errors(401, 403, 404) },
})
const listVariables = createRoute({
  method: 'get',
  path: `${BASE}/variables`,
  tags,
  summary: 'Variables, all of them, values included',
  request: { params: EnvParams },
  responses: { 200: json(envelope(z.array(Variable))), ...errors(401, 404) },
})
const createVariable = createRoute({
  method: 'post',
  path: `${BASE}/variables`,
  tags,
  summary: 'Create a variable',
  request: { params: EnvParams, ...body(CreateVariableRequest) },
  responses: { 201: json(envelope(Variable)), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
})
const updateVariable = createRoute({
  method: 'patch',
  path: `${BASE}/variables/{id}`,
  tags,
  summary: 'Rename, describe, or change the value of a variable',
  request: { params: EntryParams, ...body(UpdateVariableRequest) },
  responses: { 200: json(envelope(Variable)), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
})
const deleteVariable = createRoute({
  method: 'delete',
  path: `${BASE}/variables/{id}`,
  tags,
  summary: 'Delete a variable',
  request: { params: EntryParams },
  responses: { ...noContent, ...errors(401, 403, 404) },
})

export function registerEnvironmentsHubRoutes(
  app: OpenAPIHono<AppEnv>,
  { environmentsHub: hub }: Services,
): void {
  app.openapi(latest, async (c) => {
    const { owner, name } = c.req.valid('param')
    return c.json(success(await hub.latest(c.get('actor'), owner, name)), 200)
  })
  app.openapi(listSecrets, async (c) => {
    const { envId } = c.req.valid('param')
    return c.json(success(await hub.listSecrets(c.get('actor'), envId)), 200)
  })
  app.openapi(createSecret, async (c) => {
    const { envId } = c.req.valid('param')
    const created = await hub.createSecret(
      c.get('actor'),
      envId,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(created), 201)
  })
  app.openapi(updateSecret, async (c) => {
    const { envId, id } = c.req.valid('param')
    const updated = await hub.updateSecret(
      c.get('actor'),
      envId,
      id,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(updated), 200)
  })
  app.openapi(deleteSecret, async (c) => {
    const { envId, id } = c.req.valid('param')
    await hub.deleteSecret(c.get('actor'), envId, id, c.get('requestContext'))
    return c.body(null, 204)
  })
  app.openapi(link, async (c) => {
    const { envId, globalSecretId } = c.req.valid('param')
    const linked = await hub.link(c.get('actor'), envId, globalSecretId, c.get('requestContext'))
    return c.json(success(linked), 201)
  })
  app.openapi(unlink, async (c) => {
    const { envId, globalSecretId } = c.req.valid('param')
    await hub.unlink(c.get('actor'), envId, globalSecretId, c.get('requestContext'))
    return c.body(null, 204)
  })
  app.openapi(listVariables, async (c) => {
    const { envId } = c.req.valid('param')
    return c.json(success(await hub.listVariables(c.get('actor'), envId)), 200)
  })
  app.openapi(createVariable, async (c) => {
    const { envId } = c.req.valid('param')
    const created = await hub.createVariable(
      c.get('actor'),
      envId,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(created), 201)
  })
  app.openapi(updateVariable, async (c) => {
    const { envId, id } = c.req.valid('param')
    const updated = await hub.updateVariable(
      c.get('actor'),
      envId,
      id,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(updated), 200)
  })
  app.openapi(deleteVariable, async (c) => {
    const { envId, id } = c.req.valid('param')
    await hub.deleteVariable(c.get('actor'), envId, id, c.get('requestContext'))
    return c.body(null, 204)
  })
}
