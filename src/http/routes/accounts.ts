// Login, logout, the current user, personal tokens and user administration (SPEC.md §3.1, §3.8).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import { endSession, startSession } from '../auth.js'
import type { AppEnv } from '../context.js'
import { body, errors, json, noContent } from '../openapi.js'
import { success } from '../respond.js'
import {
  CreateTokenRequest,
  CreateUserRequest,
  IssuedPersonalToken,
  LoginRequest,
  LoginResponse,
  Me,
  PersonalToken,
  UpdateUserRequest,
  User,
  WhoAmI,
  envelope,
} from '../schemas.js'

const tags = ['Auth and users']
const login = createRoute({
  method: 'post',
  path: '/api/v1/auth/login',
  tags,
  security: [],
  summary: 'Log in: creates a personal token, or with `session: true` sets the web session cookie',
  request: body(LoginRequest),
  responses: { 200: json(envelope(LoginResponse)), ...errors(400, 401, 415, 422, 429) },
})
const logout = createRoute({
  method: 'post',
  path: '/api/v1/auth/logout',
  tags,
  summary: 'Revoke the presenting token or session',
  responses: { ...noContent, ...errors(401) },
})
const me = createRoute({
  method: 'get',
  path: '/api/v1/me',
  tags,
  summary: 'The current user and their teams',
  responses: { 200: json(envelope(Me)), ...errors(401) },
})
const listTokens = createRoute({
  method: 'get',
  path: '/api/v1/tokens',
  tags,
  summary: 'Your personal tokens (never their strings)',
  responses: { 200: json(envelope(z.array(PersonalToken))), ...errors(401) },
})
const createToken = createRoute({
  method: 'post',
  path: '/api/v1/tokens',
  tags,
  summary: 'Create a personal token; the string is shown once',
  request: body(CreateTokenRequest),
  responses: { 201: json(envelope(IssuedPersonalToken)), ...errors(400, 401, 415, 422) },
})
const deleteToken = createRoute({
  method: 'delete',
  path: '/api/v1/tokens/{id}',
  tags,
  summary: 'Revoke one of your personal tokens',
  request: { params: z.object({ id: z.string() }) },
  responses: { ...noContent, ...errors(401, 404) },
})
const createUser = createRoute({
  method: 'post',
  path: '/api/v1/users',
  tags,
  summary: 'Create a user (instance admin)',
  request: body(CreateUserRequest),
  responses: { 201: json(envelope(User)), ...errors(400, 401, 403, 409, 415, 422) },
})
const updateUser = createRoute({
  method: 'patch',
  path: '/api/v1/users/{username}',
  tags,
  summary: 'Disable, enable, promote or demote a user (instance admin)',
  request: { params: z.object({ username: z.string() }), ...body(UpdateUserRequest) },
  responses: { 200: json(envelope(User)), ...errors(400, 401, 403, 404, 409, 415, 422) },
})
const whoami = createRoute({
  method: 'get',
  path: '/api/v1/user/whoami',
  tags: ['Seed compatibility'],
  summary: 'The current user, in the seed platform’s shape',
  responses: { 200: json(envelope(WhoAmI)), ...errors(401) },
})

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>, services: Services): void {
  const { accounts } = services

  app.openapi(login, async (c) => {
    const input = c.req.valid('json')
    const result = await accounts.login(input, c.get('requestContext'))
    if (input.session) {
      const csrfToken = startSession(c, services, result.token)
      return c.json(
        success({ token: null, user: result.user, expiresAt: result.expiresAt, csrfToken }),
        200,
      )
    }
    return c.json(
      success({ token: result.token, user: result.user, expiresAt: result.expiresAt }),
      200,
    )
  })

  app.openapi(logout, async (c) => {
    await accounts.logout(c.get('actor'), c.get('requestContext'))
    endSession(c)
    return c.body(null, 204)
  })

  app.openapi(me, async (c) => c.json(success(await accounts.me(c.get('actor'))), 200))
  app.openapi(listTokens, async (c) =>
    c.json(success(await accounts.listTokens(c.get('actor'))), 200),
  )
  app.openapi(createToken, async (c) => {
    const token = await accounts.createToken(
      c.get('actor'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(token), 201)
  })
  app.openapi(deleteToken, async (c) => {
    await accounts.deleteToken(c.get('actor'), c.req.valid('param').id, c.get('requestContext'))
    return c.body(null, 204)
  })

  app.openapi(createUser, async (c) => {
    const user = await accounts.createUser(
      c.get('actor'),
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(user), 201)
  })
  app.openapi(updateUser, async (c) => {
    const user = await accounts.updateUser(
      c.get('actor'),
      c.req.valid('param').username,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(user), 200)
  })

  app.openapi(whoami, async (c) => {
    const { user } = await accounts.me(c.get('actor'))
    return c.json(
      success({
        id: user.id,
        email: null,
        name: user.username,
        slug: user.username,
        scope: 'user',
      }),
      200,
    )
  })
}
