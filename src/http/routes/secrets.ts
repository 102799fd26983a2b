// Global secrets, compatible with the seed API's `POST /api/v1/secrets/` (SPEC.md §3.2).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { body, errors, json, noContent } from '../openapi.js'
import { page, success } from '../respond.js'
import {
  CreateSecretRequest,
  PageQuery,
  RollbackRequest,
  Secret,
  SecretLink,
  SecretVersion,
  TeamIdQuery,
  UpdateSecretRequest,
  envelope,
  pagedEnvelope,
} from '../schemas.js'

const tags = ['Global secrets']
const IdParam = z.object({ id: z.string() })

const listSecrets = createRoute({
  method: 'get',
  path: '/api/v1/secrets',
  tags,
  summary: 'Global secrets of your personal scope, or of a team with ?teamId=',
  request: { query: PageQuery.extend(TeamIdQuery.shape) },
  responses: { 200: json(pagedEnvelope(Secret)), ...errors(400, 401, 404, 422) },
})
const createSecret = createRoute({
  method: 'post',
  path: '/api/v1/secrets',
  tags,
  summary: 'Create a global secret (answers 200, as the seed API does)',
  request: body(CreateSecretRequest),
  responses: { 200: json(envelope(Secret)), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
})
const getSecret = createRoute({
  method: 'get',
  path: '/api/v1/secrets/{id}',
  tags,
  summary: 'A global secret’s metadata (never its value)',
  request: { params: IdParam, query: TeamIdQuery },
  responses: { 200: json(envelope(Secret)), ...errors(401, 404, 422) },
})
const updateSecret = createRoute({
  method: 'patch',
  path: '/api/v1/secrets/{id}',
  tags,
  summary: 'Rename, describe, or set a new value (a new version)',
  request: { params: IdParam, query: TeamIdQuery, ...body(UpdateSecretRequest) },
  responses: { 200: json(envelope(Secret)), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
})
const deleteSecret = createRoute({
  method: 'delete',
  path: '/api/v1/secrets/{id}',
  tags,
  summary: 'Delete a global secret (409 still_linked while linked to an environment)',
  request: { params: IdParam, query: TeamIdQuery },
  responses: { ...noContent, ...errors(401, 403, 404, 409, 422) },
})
const listVersions = createRoute({
  method: 'get',
  path: '/api/v1/secrets/{id}/versions',
  tags,
  summary: 'The kept versions, newest first (never values)',
  request: { params: IdParam, query: TeamIdQuery },
  responses: { 200: json(envelope(z.array(SecretVersion))), ...errors(401, 404, 422) },
})
const rollback = createRoute({
  method: 'post',
  path: '/api/v1/secrets/{id}/rollback',
  tags,
  summary: 'Make an old version’s value current, as a new version',
  request: { params: IdParam, query: TeamIdQuery, ...body(RollbackRequest) },
  responses: { 200: json(envelope(Secret)), ...errors(400, 401, 403, 404, 415, 422) },
})
const listLinks = createRoute({
  method: 'get',
  path: '/api/v1/secrets/{id}/links',
  tags,
  summary: 'Environments the secret is linked to',
  request: { params: IdParam, query: TeamIdQuery },
  responses: { 200: json(envelope(z.array(SecretLink))), ...errors(401, 404, 422) },
})

export function registerSecretRoutes(app: OpenAPIHono<AppEnv>, { secrets }: Services): void {
  app.openapi(listSecrets, async (c) => {
    const result = await secrets.list(c.get('actor'), c.req.valid('query'))
    return c.json(page(result.items, result.nextCursor), 200)
  })
  app.openapi(createSecret, async (c) => {
    const secret = await secrets.create(
      c.get('actor'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(secret), 200)
  })
  app.openapi(getSecret, async (c) => {
    const secret = await secrets.get(
      c.get('actor'),
      c.req.valid('param').id,
      c.req.valid('query').teamId,
    )
    return c.json(success(secret), 200)
  })
  app.openapi(updateSecret, async (c) => {
    const secret = await secrets.update(
      c.get('actor'),
      c.req.valid('param').id,
      c.req.valid('json'),
      c.req.valid('query').teamId,
      c.get('requestContext'),
    )
    return c.json(success(secret), 200)
  })
  app.openapi(deleteSecret, async (c) => {
    await secrets.delete(
      c.get('actor'),
      c.req.valid('param').id,
      c.req.valid('query').teamId,
      c.get('requestContext'),
    )
    return c.body(null, 204)
  })
  app.openapi(listVersions, async (c) => {
    const versions = await secrets.versions(
      c.get('actor'),
      c.req.valid('param').id,
      c.req.valid('query').teamId,
    )
    return c.json(success(versions), 200)
  })
  app.openapi(rollback, async (c) => {
    const secret = await secrets.rollback(
      c.get('actor'),
      c.req.valid('param').id,
      c.req.valid('json').version,
      c.req.valid('query').teamId,
      c.get('requestContext'),
    )
    return c.json(success(secret), 200)
  })
  app.openapi(listLinks, async (c) => {
    const links = await secrets.links(
      c.get('actor'),
      c.req.valid('param').id,
      c.req.valid('query').teamId,
    )
    return c.json(success(links), 200)
  })
}
