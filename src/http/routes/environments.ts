// Environments, their secrets (direct and linked) and variables (SPEC.md §3.3–3.5).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { body, errors, json, noContent } from '../openapi.js'
import { page, success } from '../respond.js'
import {
  CreateDirectSecretRequest,
  CreateEnvironmentRequest,
  CreateVariableRequest,
  Environment,
  EnvironmentEntry,
  EnvironmentQuery,
  IssuedEnvironmentEntry,
  LinkRequest,
  PageQuery,
  RollbackRequest,
  SecretVersion,
  UpdateEnvironmentRequest,
  UpdateSecretRequest,
  UpdateVariableRequest,
  Variable,
  envelope,
  pagedEnvelope,
} from '../schemas.js'

const tags = ['Environments']
const BASE = '/api/v1/environments/{owner}/{env}'
const EnvParams = z.object({ owner: z.string(), env: z.string() })
const EntryParams = EnvParams.extend({ id: z.string() })
const LinkParams = EnvParams.extend({ secretId: z.string() })

const listEnvironments = createRoute({
  method: 'get',
  path: '/api/v1/environments',
  tags,
  summary: 'Environments of an owner (?owner=; default: your personal scope)',
  request: { query: EnvironmentQuery },
  responses: { 200: json(pagedEnvelope(Environment)), ...errors(400, 401, 404, 422) },
})
const createEnvironment = createRoute({
  method: 'post',
  path: '/api/v1/environments',
  tags,
  summary: 'Create an environment for a user or team',
  request: body(CreateEnvironmentRequest),
  responses: { 201: json(envelope(Environment)), ...errors(400, 401, 403, 404, 409, 415, 422) },
})
const getEnvironment = createRoute({
  method: 'get',
  path: BASE,
  tags,
  summary: 'An environment',
  request: { params: EnvParams },
  responses: { 200: json(envelope(Environment)), ...errors(401, 404) },
})
const updateEnvironment = createRoute({
  method: 'patch',
  path: BASE,
  tags,
  summary: 'Change the description (the revision does not move)',
  request: { params: EnvParams, ...body(UpdateEnvironmentRequest) },
  responses: { 200: json(envelope(Environment)), ...errors(400, 401, 403, 404, 415, 422) },
})
const deleteEnvironment = createRoute({
  method: 'delete',
  path: BASE,
  tags,
  summary: 'Delete an environment and everything in it (linked global secrets stay)',
  request: { params: EnvParams },
  responses: { ...noContent, ...errors(401, 403, 404) },
})
const listSecrets = createRoute({
  method: 'get',
  path: `${BASE}/secrets`,
  tags,
  summary: 'Direct and linked secrets, by name (never values)',
  request: { params: EnvParams, query: PageQuery },
  responses: { 200: json(pagedEnvelope(EnvironmentEntry)), ...errors(400, 401, 404, 422) },
})
const createSecret = createRoute({
  method: 'post',
  path: `${BASE}/secrets`,
  tags,
  summary: 'Create a direct secret from a value, or generate one (its value is shown once)',
  request: { params: EnvParams, ...body(CreateDirectSecretRequest) },
  responses: {
    201: json(envelope(IssuedEnvironmentEntry)),
    ...errors(400, 401, 403, 404, 409, 413, 415, 422),
  },
})
const updateSecret = createRoute({
  method: 'patch',
  path: `${BASE}/secrets/{id}`,
  tags,
  summary: 'Rename, describe, or set a new value of a direct secret',
  request: { params: EntryParams, ...body(UpdateSecretRequest) },
  responses: {
    200: json(envelope(EnvironmentEntry)),
    ...errors(400, 401, 403, 404, 409, 413, 415, 422),
  },
})
const deleteSecret = createRoute({
  method: 'delete',
  path: `${BASE}/secrets/{id}`,
  tags,
  summary: 'Delete a direct secret (a linked item answers 409 use_unlink)',
  request: { params: EntryParams },
  responses: { ...noContent, ...errors(401, 403, 404, 409) },
})
const rotateSecret = createRoute({
  method: 'post',
  path: `${BASE}/secrets/{id}/rotate`,
  tags,
  summary: 'Draw a new value for a generated secret (shown once)',
  request: { params: EntryParams },
  responses: {
    200: json(envelope(IssuedEnvironmentEntry)),
    ...errors(401, 403, 404, 409, 422),
  },
})
const listVersions = createRoute({
  method: 'get',
  path: `${BASE}/secrets/{id}/versions`,
  tags,
  summary: 'The kept versions of a direct secret, newest first (never values)',
  request: { params: EntryParams },
  responses: { 200: json(envelope(z.array(SecretVersion))), ...errors(401, 404, 409) },
})
const rollback = createRoute({
  method: 'post',
  path: `${BASE}/secrets/{id}/rollback`,
  tags,
  summary: 'Make an old version’s value current, as a new version',
  request: { params: EntryParams, ...body(RollbackRequest) },
  responses: {
    200: json(envelope(EnvironmentEntry)),
    ...errors(400, 401, 403, 404, 409, 415, 422),
  },
})
const link = createRoute({
  method: 'post',
  path: `${BASE}/links`,
  tags,
  summary: 'Link a global secret of the same owner',
  request: { params: EnvParams, ...body(LinkRequest) },
  responses: {
    201: json(envelope(EnvironmentEntry)),
    ...errors(400, 401, 403, 404, 409, 415, 422),
  },
})
const unlink = createRoute({
  method: 'delete',
  path: `${BASE}/links/{secretId}`,
  tags,
  summary: 'Unlink a global secret (the secret itself stays)',
  request: { params: LinkParams },
  responses: { ...noContent, ...errors(401, 403, 404) },
})
const listVariables = createRoute({
  method: 'get',
  path: `${BASE}/variables`,
  tags,
  summary: 'Variables, values included (configuration, not secrets)',
  request: { params: EnvParams, query: PageQuery },
  responses: { 200: json(pagedEnvelope(Variable)), ...errors(400, 401, 404, 422) },
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

export function registerEnvironmentRoutes(
  app: OpenAPIHono<AppEnv>,
  { environments, entries }: Services,
): void {
  app.openapi(listEnvironments, async (c) => {
    const result = await environments.list(c.get('actor'), c.req.valid('query'))
    return c.json(page(result.items, result.nextCursor), 200)
  })
  app.openapi(createEnvironment, async (c) => {
    const created = await environments.create(
      c.get('actor'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(created), 201)
  })
  app.openapi(getEnvironment, async (c) => {
    const { owner, env } = c.req.valid('param')
    return c.json(success(await environments.get(c.get('actor'), owner, env)), 200)
  })
  app.openapi(updateEnvironment, async (c) => {
    const { owner, env } = c.req.valid('param')
    const updated = await environments.update(
      c.get('actor'),
      owner,
      env,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(updated), 200)
  })
  app.openapi(deleteEnvironment, async (c) => {
    const { owner, env } = c.req.valid('param')
    await environments.delete(c.get('actor'), owner, env, c.get('requestContext'))
    return c.body(null, 204)
  })

  app.openapi(listSecrets, async (c) => {
    const result = await entries.listSecrets(
      c.get('actor'),
      c.req.valid('param'),
      c.req.valid('query'),
    )
    return c.json(page(result.items, result.nextCursor), 200)
  })
  app.openapi(createSecret, async (c) => {
    const created = await entries.createSecret(
      c.get('actor'),
      c.req.valid('param'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(created), 201)
  })
  app.openapi(updateSecret, async (c) => {
    const { id, ...path } = c.req.valid('param')
    const updated = await entries.updateSecret(
      c.get('actor'),
      path,
      id,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(updated), 200)
  })
  app.openapi(deleteSecret, async (c) => {
    const { id, ...path } = c.req.valid('param')
    await entries.deleteSecret(c.get('actor'), path, id, c.get('requestContext'))
    return c.body(null, 204)
  })
  app.openapi(rotateSecret, async (c) => {
    const { id, ...path } = c.req.valid('param')
    const rotated = await entries.rotateSecret(c.get('actor'), path, id, c.get('requestContext'))
    return c.json(success(rotated), 200)
  })
  app.openapi(listVersions, async (c) => {
    const { id, ...path } = c.req.valid('param')
    return c.json(success(await entries.secretVersions(c.get('actor'), path, id)), 200)
  })
  app.openapi(rollback, async (c) => {
    const { id, ...path } = c.req.valid('param')
    const rolledBack = await entries.rollbackSecret(
      c.get('actor'),
      path,
      id,
      c.req.valid('json').version,
      c.get('requestContext'),
    )
    return c.json(success(rolledBack), 200)
  })
  app.openapi(link, async (c) => {
    const linked = await entries.link(
      c.get('actor'),
      c.req.valid('param'),
      c.req.valid('json').secretId,
      c.get('requestContext'),
    )
    return c.json(success(linked), 201)
  })
  app.openapi(unlink, async (c) => {
    const { secretId, ...path } = c.req.valid('param')
    await entries.unlink(c.get('actor'), path, secretId, c.get('requestContext'))
    return c.body(null, 204)
  })

  app.openapi(listVariables, async (c) => {
    const result = await entries.listVariables(
      c.get('actor'),
      c.req.valid('param'),
      c.req.valid('query'),
    )
    return c.json(page(result.items, result.nextCursor), 200)
  })
  app.openapi(createVariable, async (c) => {
    const created = await entries.createVariable(
      c.get('actor'),
      c.req.valid('param'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(created), 201)
  })
  app.openapi(updateVariable, async (c) => {
    const { id, ...path } = c.req.valid('param')
    const updated = await entries.updateVariable(
      c.get('actor'),
      path,
      id,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(updated), 200)
  })
  app.openapi(deleteVariable, async (c) => {
    const { id, ...path } = c.req.valid('param')
    await entries.deleteVariable(c.get('actor'), path, id, c.get('requestContext'))
    return c.body(null, 204)
  })
}
