// Every documented route × every kind of caller, as one table: SPEC.md §1 (roles), §2 (404 where
// existence would leak, 403 only inside a visible owner), §3 (401 for a missing or bad token).
// Adding a route means adding a row; a documented route without a row fails the suite.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, startTestServer, testEngines, type TestServer } from '../support/server.js'
import { Api, adminToken, login, newUser, uniqueName, type Reply } from '../support/http.js'

const engines = await testEngines()

const USER_ROLES = [
  'owner', // owns the personal secret; in no team
  'teamAdmin',
  'teamMember',
  'teamViewer',
  'other', // a user in neither the team nor the owner's shoes
  'instanceAdmin', // the bootstrap admin: manages users, sees no one else's secrets (SPEC.md §1)
] as const
type UserRole = (typeof USER_ROLES)[number]
const ROLES = [...USER_ROLES, 'anonymous', 'bogus'] as const
type Role = (typeof ROLES)[number]

/** Documented routes that answer without a token. */
const PUBLIC_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /api/v1/healthz',
  'GET /api/v1/readyz',
  'POST /api/v1/auth/login',
]

interface Account {
  readonly username: string
  readonly password: string
  readonly token: string
  readonly id: string
}

interface Fixture {
  readonly api: Api
  readonly users: Record<UserRole, Account>
  readonly team: { readonly id: string; readonly slug: string }
  readonly personalSecretId: string
  readonly teamSecretId: string
  /** Base paths (`/api/v1/environments/owner/env`) of the owner's and the team's environments. */
  readonly envs: Record<'personal' | 'team', string>
  /** A team member the member-management rows change and remove. */
  readonly spare: Account
  /** A user the add-member row adds. */
  readonly candidate: Account
}

interface Call {
  readonly path: string
  readonly body?: unknown
}

interface Row {
  /** `METHOD path` exactly as the OpenAPI document names it. */
  readonly route: string
  /** Tells rows of one route apart (personal or team secret, …). */
  readonly variant: string
  /** Builds the request; may first create what the request acts on, as the fixture's users. */
  readonly call: (f: Fixture, role: Role) => Call | Promise<Call>
  /** The caller presents a token made for this request only (logout revokes it). */
  readonly freshToken?: boolean
  readonly expect: Record<Role, number>
}

/** Statuses per role: `allowed` for the roles named, `otherwise` for the other users, and 401
 *  for no token and a bogus one. */
function statuses(allowed: Partial<Record<UserRole, number>>, otherwise: number) {
  return Object.fromEntries(
    ROLES.map((role) => [
      role,
      role === 'anonymous' || role === 'bogus' ? 401 : (allowed[role] ?? otherwise),
    ]),
  ) as Record<Role, number>
}
const anyUser = (status: number) => statuses({}, status)
const personalOwner = (status: number) => statuses({ owner: status }, 404)
const teamRead = (status: number) =>
  statuses({ teamAdmin: status, teamMember: status, teamViewer: status }, 404)
const teamWrite = (status: number) =>
  statuses({ teamAdmin: status, teamMember: status, teamViewer: 403 }, 404)
const teamAdmin = (status: number) =>
  statuses({ teamAdmin: status, teamMember: 403, teamViewer: 403 }, 404)
const instanceAdmin = (status: number) => statuses({ instanceAdmin: status }, 403)

const secretName = () => `AUTHZ_${randomBytes(6).toString('hex').toUpperCase()}`

async function ok<T>(reply: Promise<Reply<T>>, status: number): Promise<Reply<T>> {
  const answered = await reply
  expect(answered.status, answered.text).toBe(status)
  return answered
}

/** A new global secret: the owner's personal one, or the team's (made by its admin). */
async function newSecret(
  api: Api,
  users: Pick<Fixture['users'], 'owner' | 'teamAdmin'>,
  team: Fixture['team'],
  scope: 'personal' | 'team',
): Promise<string> {
  const [as, teamId] = scope === 'personal' ? [users.owner, undefined] : [users.teamAdmin, team.id]
  const reply = await ok(
    api.as(as.token).post('/api/v1/secrets', { name: secretName(), value: 'v', teamId }),
    200,
  )
  return reply.body.data.id as string
}

/** Makes `spare` a member of the team (again), whatever earlier rows did to them. */
async function ensureSpareIsMember(f: Fixture): Promise<void> {
  const admin = f.api.as(f.users.teamAdmin.token)
  const added = await admin.post(`/api/v1/teams/${f.team.slug}/members`, {
    username: f.spare.username,
    role: 'member',
  })
  expect([201, 409], added.text).toContain(added.status)
}

const SCOPES = ['personal', 'team'] as const
const bySecretScope = (
  route: string,
  build: (f: Fixture, scope: 'personal' | 'team', id: string) => Call,
  expected: { personal: Record<Role, number>; team: Record<Role, number> },
  freshSecret = false,
): Row[] =>
  SCOPES.map((scope) => ({
    route,
    variant: `${scope} secret`,
    call: async (f) => {
      const id = freshSecret
        ? await newSecret(f.api, f.users, f.team, scope)
        : scope === 'personal'
          ? f.personalSecretId
          : f.teamSecretId
      return build(f, scope, id)
    },
    expect: expected[scope],
  }))

/** Who creates things in a scope: the owner in their personal scope, the admin in the team. */
const creatorOf = (f: Fixture, scope: 'personal' | 'team'): Account =>
  scope === 'personal' ? f.users.owner : f.users.teamAdmin

async function newEnvironment(api: Api, creator: Account, ownerName: string): Promise<string> {
  const name = uniqueName('env')
  await ok(api.as(creator.token).post('/api/v1/environments', { owner: ownerName, name }), 201)
  return `/api/v1/environments/${ownerName}/${name}`
}

/** A fresh entry in the scope's environment: a direct secret, a generated one, or a variable. */
async function newEntry(
  f: Fixture,
  scope: 'personal' | 'team',
  kind: 'secrets' | 'generated' | 'variables',
): Promise<string> {
  const body =
    kind === 'generated'
      ? { name: secretName(), generate: { length: 16 } }
      : { name: secretName(), value: 'v' }
  const path = `${f.envs[scope]}/${kind === 'variables' ? 'variables' : 'secrets'}`
  const reply = await ok(f.api.as(creatorOf(f, scope).token).post(path, body), 201)
  return reply.body.data.id as string
}

/** A fresh runtime token of the scope's environment, made by the scope's creator. */
async function newRuntimeToken(f: Fixture, scope: 'personal' | 'team'): Promise<string> {
  const reply = await ok(
    f.api.as(creatorOf(f, scope).token).post(`${f.envs[scope]}/tokens`, { name: 'authz' }),
    201,
  )
  return reply.body.data.id as string
}

const byEnvScope = (
  route: string,
  build: (f: Fixture, scope: 'personal' | 'team', base: string) => Call | Promise<Call>,
  expected: { personal: Record<Role, number>; team: Record<Role, number> },
): Row[] =>
  SCOPES.map((scope) => ({
    route,
    variant: `${scope} environment`,
    call: (f) => build(f, scope, f.envs[scope]),
    expect: expected[scope],
  }))
/** `/api/v1/environmentshub/{envId}` of the scope's environment (the seed routes name it by id). */
async function hubOf(f: Fixture, scope: 'personal' | 'team'): Promise<string> {
  const got = await ok(f.api.as(creatorOf(f, scope).token).get(f.envs[scope]), 200)
  return `/api/v1/environmentshub/${got.body.data.id as string}`
}
const envRead = (status: number) => ({ personal: personalOwner(status), team: teamRead(status) })
const envWrite = (status: number) => ({ personal: personalOwner(status), team: teamWrite(status) })

/** A fresh provider connection of the scope (custom, pointing at a closed port: a test of it
 *  answers ok: false at once, without the network). */
async function newConnection(f: Fixture, scope: 'personal' | 'team'): Promise<string> {
  const reply = await ok(
    f.api.as(creatorOf(f, scope).token).post('/api/v1/providers', {
      provider: 'custom',
      apiKey: 'sk-authz',
      baseUrl: 'http://127.0.0.1:1/v1',
      ...(scope === 'team' ? { teamId: f.team.id } : {}),
    }),
    201,
  )
  return reply.body.data.id as string
}
const byConnectionScope = (
  route: string,
  build: (id: string) => Call,
  expected: { personal: Record<Role, number>; team: Record<Role, number> },
): Row[] =>
  SCOPES.map((scope) => ({
    route,
    variant: `${scope} connection`,
    call: async (f) => build(await newConnection(f, scope)),
    expect: expected[scope],
  }))
/** A fresh environment of the scope, so attachments of earlier rows cannot conflict. */
const freshEnvironmentOf = (f: Fixture, scope: 'personal' | 'team'): Promise<string> =>
  newEnvironment(
    f.api,
    creatorOf(f, scope),
    scope === 'personal' ? f.users.owner.username : f.team.slug,
  )

const ROWS: Row[] = [
  // Global secrets (SPEC.md §3.2): every user has a personal scope of their own.
  {
    route: 'GET /api/v1/secrets',
    variant: 'own personal scope',
    call: () => ({ path: '/api/v1/secrets' }),
    expect: anyUser(200),
  },
  {
    route: 'GET /api/v1/secrets',
    variant: 'team scope',
    call: (f) => ({ path: `/api/v1/secrets?teamId=${f.team.id}` }),
    expect: teamRead(200),
  },
  {
    route: 'POST /api/v1/secrets',
    variant: 'own personal scope',
    call: () => ({ path: '/api/v1/secrets', body: { name: secretName(), value: 'v' } }),
    expect: anyUser(200),
  },
  {
    route: 'POST /api/v1/secrets',
    variant: 'team scope',
    call: (f) => ({
      path: '/api/v1/secrets',
      body: { name: secretName(), value: 'v', teamId: f.team.id },
    }),
    expect: teamWrite(200),
  },
  ...bySecretScope('GET /api/v1/secrets/{id}', (_, __, id) => ({ path: `/api/v1/secrets/${id}` }), {
    personal: personalOwner(200),
    team: teamRead(200),
  }),
  ...bySecretScope(
    'PATCH /api/v1/secrets/{id}',
    (_, __, id) => ({ path: `/api/v1/secrets/${id}`, body: { description: 'changed' } }),
    { personal: personalOwner(200), team: teamWrite(200) },
  ),
  ...bySecretScope(
    'DELETE /api/v1/secrets/{id}',
    (_, __, id) => ({ path: `/api/v1/secrets/${id}` }),
    { personal: personalOwner(204), team: teamWrite(204) },
    true,
  ),
  ...bySecretScope(
    'GET /api/v1/secrets/{id}/versions',
    (_, __, id) => ({ path: `/api/v1/secrets/${id}/versions` }),
    { personal: personalOwner(200), team: teamRead(200) },
  ),
  ...bySecretScope(
    'POST /api/v1/secrets/{id}/rollback',
    (_, __, id) => ({ path: `/api/v1/secrets/${id}/rollback`, body: { version: 1 } }),
    { personal: personalOwner(200), team: teamWrite(200) },
    true,
  ),
  ...bySecretScope(
    'GET /api/v1/secrets/{id}/links',
    (_, __, id) => ({ path: `/api/v1/secrets/${id}/links` }),
    { personal: personalOwner(200), team: teamRead(200) },
  ),

  // Environments (SPEC.md §3.3–3.5): viewers read (variables' values too), members write.
  {
    route: 'GET /api/v1/environments',
    variant: 'own personal scope',
    call: () => ({ path: '/api/v1/environments' }),
    expect: anyUser(200),
  },
  {
    route: 'GET /api/v1/environments',
    variant: 'team scope',
    call: (f) => ({ path: `/api/v1/environments?owner=${f.team.slug}` }),
    expect: teamRead(200),
  },
  {
    route: 'POST /api/v1/environments',
    variant: 'personal scope',
    call: (f) => ({
      path: '/api/v1/environments',
      body: { owner: f.users.owner.username, name: uniqueName('env') },
    }),
    expect: personalOwner(201),
  },
  {
    route: 'POST /api/v1/environments',
    variant: 'team scope',
    call: (f) => ({
      path: '/api/v1/environments',
      body: { owner: f.team.slug, name: uniqueName('env') },
    }),
    expect: teamWrite(201),
  },
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}',
    (_, __, base) => ({ path: base }),
    envRead(200),
  ),
  ...byEnvScope(
    'PATCH /api/v1/environments/{owner}/{env}',
    (_, __, base) => ({ path: base, body: { description: 'changed' } }),
    envWrite(200),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environments/{owner}/{env}',
    async (f, scope) => ({
      path: await newEnvironment(
        f.api,
        creatorOf(f, scope),
        scope === 'personal' ? f.users.owner.username : f.team.slug,
      ),
    }),
    envWrite(204),
  ),
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}/secrets',
    (_, __, base) => ({ path: `${base}/secrets` }),
    envRead(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/secrets',
    (_, __, base) => ({ path: `${base}/secrets`, body: { name: secretName(), value: 'v' } }),
    envWrite(201),
  ),
  ...byEnvScope(
    'PATCH /api/v1/environments/{owner}/{env}/secrets/{id}',
    async (f, scope, base) => ({
      path: `${base}/secrets/${await newEntry(f, scope, 'secrets')}`,
      body: { value: 'v2' },
    }),
    envWrite(200),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environments/{owner}/{env}/secrets/{id}',
    async (f, scope, base) => ({ path: `${base}/secrets/${await newEntry(f, scope, 'secrets')}` }),
    envWrite(204),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/secrets/{id}/rotate',
    async (f, scope, base) => ({
      path: `${base}/secrets/${await newEntry(f, scope, 'generated')}/rotate`,
    }),
    envWrite(200),
  ),
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}/secrets/{id}/versions',
    async (f, scope, base) => ({
      path: `${base}/secrets/${await newEntry(f, scope, 'secrets')}/versions`,
    }),
    envRead(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/secrets/{id}/rollback',
    async (f, scope, base) => ({
      path: `${base}/secrets/${await newEntry(f, scope, 'secrets')}/rollback`,
      body: { version: 1 },
    }),
    envWrite(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/links',
    async (f, scope, base) => ({
      path: `${base}/links`,
      body: { secretId: await newSecret(f.api, f.users, f.team, scope) },
    }),
    envWrite(201),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environments/{owner}/{env}/links/{secretId}',
    async (f, scope, base) => {
      const secretId = await newSecret(f.api, f.users, f.team, scope)
      await ok(f.api.as(creatorOf(f, scope).token).post(`${base}/links`, { secretId }), 201)
      return { path: `${base}/links/${secretId}` }
    },
    envWrite(204),
  ),
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}/variables',
    (_, __, base) => ({ path: `${base}/variables` }),
    envRead(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/variables',
    (_, __, base) => ({ path: `${base}/variables`, body: { name: secretName(), value: '' } }),
    envWrite(201),
  ),
  ...byEnvScope(
    'PATCH /api/v1/environments/{owner}/{env}/variables/{id}',
    async (f, scope, base) => ({
      path: `${base}/variables/${await newEntry(f, scope, 'variables')}`,
      body: { value: 'v2' },
    }),
    envWrite(200),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environments/{owner}/{env}/variables/{id}',
    async (f, scope, base) => ({
      path: `${base}/variables/${await newEntry(f, scope, 'variables')}`,
    }),
    envWrite(204),
  ),

  // Requirements and import (SPEC.md §3.6): viewers read requirements, members write.
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}/requirements',
    (_, __, base) => ({ path: `${base}/requirements` }),
    envRead(200),
  ),
  ...byEnvScope(
    'PUT /api/v1/environments/{owner}/{env}/requirements',
    (_, __, base) => ({
      path: `${base}/requirements`,
      body: { secrets: [{ key: secretName(), optional: true }] },
    }),
    envWrite(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/import',
    (_, __, base) => ({
      path: `${base}/import`,
      body: { content: `${secretName()}=v\n`, as: 'variable' },
    }),
    envWrite(200),
  ),

  // Seed-compatible environment routes (SPEC.md §3.8): the same rules, the environment by id.
  ...byEnvScope(
    'GET /api/v1/environmentshub/{owner}/{name}/@latest',
    (_, __, base) => ({ path: `${base.replace('/environments/', '/environmentshub/')}/@latest` }),
    envRead(200),
  ),
  ...byEnvScope(
    'GET /api/v1/environmentshub/{envId}/secrets',
    async (f, scope) => ({ path: `${await hubOf(f, scope)}/secrets` }),
    envRead(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environmentshub/{envId}/secrets',
    async (f, scope) => ({
      path: `${await hubOf(f, scope)}/secrets`,
      body: { name: secretName(), value: 'v' },
    }),
    envWrite(201),
  ),
  ...byEnvScope(
    'PATCH /api/v1/environmentshub/{envId}/secrets/{id}',
    async (f, scope) => ({
      path: `${await hubOf(f, scope)}/secrets/${await newEntry(f, scope, 'secrets')}`,
      body: { value: 'v2' },
    }),
    envWrite(200),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environmentshub/{envId}/secrets/{id}',
    async (f, scope) => ({
      path: `${await hubOf(f, scope)}/secrets/${await newEntry(f, scope, 'secrets')}`,
    }),
    envWrite(204),
  ),
  ...byEnvScope(
    'POST /api/v1/environmentshub/{envId}/secrets/link/{globalSecretId}',
    async (f, scope) => ({
      path: `${await hubOf(f, scope)}/secrets/link/${await newSecret(f.api, f.users, f.team, scope)}`,
      body: {},
    }),
    envWrite(201),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environmentshub/{envId}/secrets/link/{globalSecretId}',
    async (f, scope, base) => {
      const secretId = await newSecret(f.api, f.users, f.team, scope)
      await ok(f.api.as(creatorOf(f, scope).token).post(`${base}/links`, { secretId }), 201)
      return { path: `${await hubOf(f, scope)}/secrets/link/${secretId}` }
    },
    envWrite(204),
  ),
  ...byEnvScope(
    'GET /api/v1/environmentshub/{envId}/variables',
    async (f, scope) => ({ path: `${await hubOf(f, scope)}/variables` }),
    envRead(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environmentshub/{envId}/variables',
    async (f, scope) => ({
      path: `${await hubOf(f, scope)}/variables`,
      body: { name: secretName(), value: 'v' },
    }),
    envWrite(201),
  ),
  ...byEnvScope(
    'PATCH /api/v1/environmentshub/{envId}/variables/{id}',
    async (f, scope) => ({
      path: `${await hubOf(f, scope)}/variables/${await newEntry(f, scope, 'variables')}`,
      body: { value: 'v2' },
    }),
    envWrite(200),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environmentshub/{envId}/variables/{id}',
    async (f, scope) => ({
      path: `${await hubOf(f, scope)}/variables/${await newEntry(f, scope, 'variables')}`,
    }),
    envWrite(204),
  ),

  // AI provider connections (SPEC.md §1.5, §3.6): like global secrets; attachments like links.
  {
    route: 'GET /api/v1/providers',
    variant: 'own personal scope',
    call: () => ({ path: '/api/v1/providers' }),
    expect: anyUser(200),
  },
  {
    route: 'GET /api/v1/providers',
    variant: 'team scope',
    call: (f) => ({ path: `/api/v1/providers?teamId=${f.team.id}` }),
    expect: teamRead(200),
  },
  {
    route: 'POST /api/v1/providers',
    variant: 'own personal scope',
    call: () => ({ path: '/api/v1/providers', body: { provider: 'openai', apiKey: 'sk-authz' } }),
    expect: anyUser(201),
  },
  {
    route: 'POST /api/v1/providers',
    variant: 'team scope',
    call: (f) => ({
      path: '/api/v1/providers',
      body: { provider: 'openai', apiKey: 'sk-authz', teamId: f.team.id },
    }),
    expect: teamWrite(201),
  },
  ...byConnectionScope(
    'PATCH /api/v1/providers/{id}',
    (id) => ({ path: `/api/v1/providers/${id}`, body: { label: 'changed' } }),
    { personal: personalOwner(200), team: teamWrite(200) },
  ),
  ...byConnectionScope(
    'DELETE /api/v1/providers/{id}',
    (id) => ({ path: `/api/v1/providers/${id}` }),
    { personal: personalOwner(204), team: teamWrite(204) },
  ),
  ...byConnectionScope(
    'POST /api/v1/providers/{id}/test',
    (id) => ({ path: `/api/v1/providers/${id}/test` }),
    { personal: personalOwner(200), team: teamWrite(200) },
  ),
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}/providers',
    (_, __, base) => ({ path: `${base}/providers` }),
    envRead(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/providers',
    async (f, scope) => ({
      path: `${await freshEnvironmentOf(f, scope)}/providers`,
      body: { connectionId: await newConnection(f, scope) },
    }),
    envWrite(201),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environments/{owner}/{env}/providers/{connectionId}',
    async (f, scope) => {
      const base = await freshEnvironmentOf(f, scope)
      const connectionId = await newConnection(f, scope)
      await ok(f.api.as(creatorOf(f, scope).token).post(`${base}/providers`, { connectionId }), 201)
      return { path: `${base}/providers/${connectionId}` }
    },
    envWrite(204),
  ),

  // Runtime tokens, resolve, status, revision (SPEC.md §3.3, §3.6, §3.7): viewers list tokens,
  // see status and watch; members manage tokens and resolve.
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}/tokens',
    (_, __, base) => ({ path: `${base}/tokens` }),
    envRead(200),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/tokens',
    (_, __, base) => ({ path: `${base}/tokens`, body: { name: 'authz' } }),
    envWrite(201),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/tokens/{id}/rotate',
    async (f, scope, base) => ({
      path: `${base}/tokens/${await newRuntimeToken(f, scope)}/rotate`,
      body: { graceSeconds: 60 },
    }),
    envWrite(200),
  ),
  ...byEnvScope(
    'DELETE /api/v1/environments/{owner}/{env}/tokens/{id}',
    async (f, scope, base) => ({ path: `${base}/tokens/${await newRuntimeToken(f, scope)}` }),
    envWrite(204),
  ),
  ...byEnvScope(
    'POST /api/v1/environments/{owner}/{env}/resolve',
    (_, __, base) => ({ path: `${base}/resolve`, body: {} }),
    envWrite(200),
  ),
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}/status',
    (_, __, base) => ({ path: `${base}/status` }),
    envRead(200),
  ),
  ...byEnvScope(
    'GET /api/v1/environments/{owner}/{env}/revision',
    (_, __, base) => ({ path: `${base}/revision?after=0&waitSeconds=5` }),
    envRead(200),
  ),

  // Teams (SPEC.md §3.1): viewers read, admins manage members, outsiders see nothing.
  {
    route: 'GET /api/v1/teams',
    variant: 'own teams',
    call: () => ({ path: '/api/v1/teams' }),
    expect: anyUser(200),
  },
  {
    route: 'POST /api/v1/teams',
    variant: 'new team',
    call: () => ({ path: '/api/v1/teams', body: { slug: uniqueName('authz') } }),
    expect: anyUser(201),
  },
  {
    route: 'GET /api/v1/teams/{slug}',
    variant: 'the team',
    call: (f) => ({ path: `/api/v1/teams/${f.team.slug}` }),
    expect: teamRead(200),
  },
  {
    route: 'GET /api/v1/teams/{slug}/members',
    variant: 'the team',
    call: (f) => ({ path: `/api/v1/teams/${f.team.slug}/members` }),
    expect: teamRead(200),
  },
  {
    route: 'POST /api/v1/teams/{slug}/members',
    variant: 'a user not in the team',
    call: async (f) => {
      const removed = await f.api
        .as(f.users.teamAdmin.token)
        .delete(`/api/v1/teams/${f.team.slug}/members/${f.candidate.username}`)
      expect([204, 404], removed.text).toContain(removed.status)
      return {
        path: `/api/v1/teams/${f.team.slug}/members`,
        body: { username: f.candidate.username, role: 'viewer' },
      }
    },
    expect: teamAdmin(201),
  },
  {
    route: 'PATCH /api/v1/teams/{slug}/members/{username}',
    variant: 'another member',
    call: async (f) => {
      await ensureSpareIsMember(f)
      return {
        path: `/api/v1/teams/${f.team.slug}/members/${f.spare.username}`,
        body: { role: 'viewer' },
      }
    },
    expect: teamAdmin(200),
  },
  {
    route: 'DELETE /api/v1/teams/{slug}/members/{username}',
    variant: 'another member',
    call: async (f) => {
      await ensureSpareIsMember(f)
      return { path: `/api/v1/teams/${f.team.slug}/members/${f.spare.username}` }
    },
    expect: teamAdmin(204),
  },

  // Users (SPEC.md §3.1): the instance admin only.
  {
    route: 'POST /api/v1/users',
    variant: 'new user',
    call: () => ({
      path: '/api/v1/users',
      body: { username: uniqueName('authz'), password: 'a-long-enough-password' },
    }),
    expect: instanceAdmin(201),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    variant: 'another user',
    call: (f) => ({ path: `/api/v1/users/${f.spare.username}`, body: { disabled: false } }),
    expect: instanceAdmin(200),
  },

  // Personal tokens: your own only; someone else's token id does not exist for you.
  {
    route: 'GET /api/v1/tokens',
    variant: 'own tokens',
    call: () => ({ path: '/api/v1/tokens' }),
    expect: anyUser(200),
  },
  {
    route: 'POST /api/v1/tokens',
    variant: 'own token',
    call: () => ({ path: '/api/v1/tokens', body: { name: 'authz' } }),
    expect: anyUser(201),
  },
  {
    route: 'DELETE /api/v1/tokens/{id}',
    variant: "the owner's token",
    call: async (f) => {
      const created = await ok(
        f.api.as(f.users.owner.token).post('/api/v1/tokens', { name: 'authz-owner' }),
        201,
      )
      return { path: `/api/v1/tokens/${created.body.data.id as string}` }
    },
    expect: personalOwner(204),
  },
  {
    route: 'DELETE /api/v1/tokens/{id}',
    variant: 'own token',
    call: async (f, role) => {
      const creator = isUserRole(role) ? f.users[role] : f.users.owner
      const created = await ok(
        f.api.as(creator.token).post('/api/v1/tokens', { name: 'authz-own' }),
        201,
      )
      return { path: `/api/v1/tokens/${created.body.data.id as string}` }
    },
    expect: anyUser(204),
  },

  // The current user.
  {
    route: 'GET /api/v1/me',
    variant: 'self',
    call: () => ({ path: '/api/v1/me' }),
    expect: anyUser(200),
  },
  {
    route: 'GET /api/v1/user/whoami',
    variant: 'self',
    call: () => ({ path: '/api/v1/user/whoami' }),
    expect: anyUser(200),
  },
  {
    route: 'POST /api/v1/auth/logout',
    variant: 'own token',
    call: () => ({ path: '/api/v1/auth/logout' }),
    freshToken: true,
    expect: anyUser(204),
  },

  // Audit (SPEC.md §3.9): events of owners the actor administers.
  {
    route: 'GET /api/v1/audit',
    variant: 'administered owners',
    call: () => ({ path: '/api/v1/audit' }),
    expect: anyUser(200),
  },
  {
    route: 'GET /api/v1/audit',
    variant: "the owner's personal scope",
    call: (f) => ({ path: `/api/v1/audit?owner=${f.users.owner.username}` }),
    expect: personalOwner(200),
  },
  {
    route: 'GET /api/v1/audit',
    variant: 'the team',
    call: (f) => ({ path: `/api/v1/audit?owner=${f.team.slug}` }),
    expect: teamAdmin(200),
  },
]

function isUserRole(role: Role): role is UserRole {
  return (USER_ROLES as readonly string[]).includes(role)
}

const CASES = ROWS.flatMap((row) =>
  ROLES.map((role) => ({ ...row, role, status: row.expect[role] })),
)

const ERROR_CODES: Record<number, RegExp> = {
  401: /^unauthenticated$/,
  403: /^forbidden$/,
  404: /^(?:secret_)?not_found$/,
}

describe.each(engines)('authorization over HTTP on %s', (engine) => {
  let server: TestServer
  let f: Fixture

  beforeAll(async () => {
    server = await startTestServer(engine)
    const api = new Api(server)
    const admin = await adminToken(api)
    const make = (prefix: string) => newUser(api, admin, prefix)
    const [owner, teamAdminUser, teamMember, teamViewer, other, spare, candidate] =
      await Promise.all([
        make('owner'),
        make('tadmin'),
        make('tmember'),
        make('tviewer'),
        make('other'),
        make('spare'),
        make('cand'),
      ])
    const instanceAdminUser: Account = {
      username: 'admin',
      password: ADMIN_PASSWORD,
      token: admin,
      id: (await ok(api.as(admin).get('/api/v1/me'), 200)).body.data.user.id as string,
    }
    const slug = uniqueName('authz')
    const team = await ok(api.as(teamAdminUser.token).post('/api/v1/teams', { slug }), 201)
    for (const [user, role] of [
      [teamMember, 'member'],
      [teamViewer, 'viewer'],
      [spare, 'member'],
    ] as const) {
      await ok(
        api
          .as(teamAdminUser.token)
          .post(`/api/v1/teams/${slug}/members`, { username: user.username, role }),
        201,
      )
    }
    const users = {
      owner,
      teamAdmin: teamAdminUser,
      teamMember,
      teamViewer,
      other,
      instanceAdmin: instanceAdminUser,
    }
    const teamRef = { id: team.body.data.id as string, slug }
    f = {
      api,
      users,
      team: teamRef,
      spare,
      candidate,
      personalSecretId: await newSecret(api, users, teamRef, 'personal'),
      teamSecretId: await newSecret(api, users, teamRef, 'team'),
      envs: {
        personal: await newEnvironment(api, owner, owner.username),
        team: await newEnvironment(api, teamAdminUser, slug),
      },
    }
  })

  afterAll(async () => {
    await server.stop()
  })

  it('has a row for every route the OpenAPI document lists', async () => {
    const document = await ok(new Api(server).get('/api/v1/openapi.json'), 200)
    const documented = Object.entries(document.body.paths as Record<string, object>).flatMap(
      ([path, item]) =>
        Object.keys(item)
          .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
          .map((method) => `${method.toUpperCase()} ${path}`),
    )
    const covered = new Set(ROWS.map((row) => row.route))
    expect(
      documented.filter((route) => !covered.has(route) && !PUBLIC_ROUTES.includes(route)),
    ).toEqual([])
    // A row for a route that is no longer documented is stale.
    expect([...covered].filter((route) => !documented.includes(route))).toEqual([])
    expect(PUBLIC_ROUTES.filter((route) => !documented.includes(route))).toEqual([])
  })

  it.each(CASES)('$route ($variant) as $role answers $status', async (row) => {
    let token: string | undefined
    if (row.role === 'bogus') token = `cfp_${randomBytes(32).toString('base64url')}`
    else if (isUserRole(row.role)) {
      const account = f.users[row.role]
      token = row.freshToken
        ? await login(f.api, account.username, account.password)
        : account.token
    }
    const { path, body } = await row.call(f, row.role)
    const [method] = row.route.split(' ')
    const reply = await f.api.as(token).request(method!, path, body)
    expect(reply.status, `${method!} ${path} as ${row.role}: ${reply.text}`).toBe(row.status)
    if (row.status === 204) {
      expect(reply.text).toBe('')
    } else if (row.status < 300) {
      expect(reply.body.status).toBe('success')
    } else {
      expect(reply.body.detail).toBe(reply.body.errors[0].details)
      expect(reply.body.errors[0].code).toMatch(ERROR_CODES[row.status]!)
    }
  })

  // Regression: without a token, routes validated the request before anyone asked who was
  // calling, so a malformed request answered 422 instead of 401.
  it.each([...new Set(ROWS.map((row) => row.route))])(
    '%s answers 401 without a token, before validating the request',
    async (route) => {
      const [method, template] = route.split(' ') as [string, string]
      const path = `${template.replace(/\{\w+\}/g, 'x')}?limit=0&teamId=bad`
      const body = method === 'GET' || method === 'DELETE' ? undefined : { vaule: 'typo' }
      for (const token of [undefined, `cfp_${randomBytes(32).toString('base64url')}`]) {
        const reply = await f.api.as(token).request(method, path, body)
        expect(reply.status, `${method} ${path}: ${reply.text}`).toBe(401)
        expect(reply.body.errors[0].code).toBe('unauthenticated')
      }
    },
  )

  // Regression: an invisible secret answered `param: ""` where an unknown one answered
  // `param: "path.id"`, so the error body told the two apart (fixed in domain/scopes.ts Denials).
  it('answers for an invisible secret exactly as for one that does not exist', async () => {
    const other = f.api.as(f.users.other.token)
    const unknownId = `c${randomBytes(12).toString('hex')}`
    for (const suffix of ['', '/versions', '/links']) {
      const invisible = await other.get(`/api/v1/secrets/${f.personalSecretId}${suffix}`)
      const unknown = await other.get(`/api/v1/secrets/${unknownId}${suffix}`)
      expect(invisible.status).toBe(404)
      expect(invisible.body).toEqual(unknown.body)
    }
    const invisible = await other.patch(`/api/v1/secrets/${f.teamSecretId}`, { description: 'x' })
    const unknown = await other.patch(`/api/v1/secrets/${unknownId}`, { description: 'x' })
    expect(invisible.status).toBe(404)
    expect(invisible.body).toEqual(unknown.body)
    const unknownTeamId = `c${randomBytes(12).toString('hex')}`
    const invisibleTeam = await other.get(`/api/v1/secrets?teamId=${f.team.id}`)
    const unknownTeam = await other.get(`/api/v1/secrets?teamId=${unknownTeamId}`)
    expect(invisibleTeam.status).toBe(404)
    expect(invisibleTeam.body).toEqual(unknownTeam.body)
  })

  it.each([
    ['team members', (name: string) => `/api/v1/teams/${name}/members`],
    ['audit', (name: string) => `/api/v1/audit?owner=${name}`],
  ])('answers for an invisible owner as for one that does not exist (%s)', async (_, route) => {
    const other = f.api.as(f.users.other.token)
    const unknownName = uniqueName('nosuch')
    for (const invisibleName of [f.team.slug, f.users.owner.username]) {
      const invisible = await other.get(route(invisibleName))
      const unknown = await other.get(route(unknownName))
      expect(invisible.status).toBe(404)
      expect(unknown.status).toBe(404)
      // Details name the owner asked for; apart from that the answers are the same.
      expect(JSON.stringify(invisible.body).replaceAll(invisibleName, '<name>')).toBe(
        JSON.stringify(unknown.body).replaceAll(unknownName, '<name>'),
      )
    }
  })
})
