// Runtime tokens through HTTP (SPEC.md §1 "Runtime tokens and sync", §2, §3.6): shown once,
// stored as SHA-256 only, rotate (at once or with grace), revoke, expiry, audit without the
// string, and — as a table over every route of the OpenAPI document, so routes added later are
// covered too — a runtime token can resolve and watch its own environment and nothing else.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const TOKEN = /^cft_[A-Za-z0-9_-]{43}$/
const ID = /^c[a-z0-9]{24}$/

describe.each(engines)('runtime tokens over HTTP (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  /** A user with two personal environments (X and Y) and a team environment. */
  const withEnvironments = async () => {
    const user = await newUser(api, admin, 'rt')
    const me = api.as(user.token)
    const make = async (owner: string) => {
      const name = uniqueName('env')
      const created = await me.post('/api/v1/environments', { owner, name })
      expect(created.status, created.text).toBe(201)
      return { name, base: `/api/v1/environments/${owner}/${name}` }
    }
    const slug = uniqueName('rteam')
    expect((await me.post('/api/v1/teams', { slug })).status).toBe(201)
    const x = await make(user.username)
    const y = await make(user.username)
    const team = await make(slug)
    const secret = await me.post(`${x.base}/secrets`, { name: 'API_KEY', value: 'x-value' })
    expect(secret.status).toBe(201)
    expect((await me.post(`${y.base}/secrets`, { name: 'API_KEY', value: 'y-value' })).status).toBe(
      201,
    )
    return { ...user, me, slug, x, y, team, secretId: secret.body.data.id as string }
  }
  const create = async (me: Api, base: string, body: object = { name: 'ci' }) => {
    const reply = await me.post(`${base}/tokens`, body)
    expect(reply.status, reply.text).toBe(201)
    return reply.body.data as { id: string; token: string; name: string }
  }
  const resolveStatus = async (token: string, base: string) =>
    (await api.as(token).post(`${base}/resolve`, {})).status

  it('shows the string once, stores only its SHA-256, and lists metadata', async () => {
    const env = await withEnvironments()
    const created = await env.me.post(`${env.x.base}/tokens`, {
      name: 'deploy bot',
      expiresInSeconds: 3600,
    })
    expect(created.status, created.text).toBe(201)
    expect(created.headers.get('cache-control')).toBe('no-store')
    const data = created.body.data
    expect(data).toEqual({
      id: expect.stringMatching(ID),
      name: 'deploy bot',
      token: expect.stringMatching(TOKEN),
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      lastUsedAt: null,
      lastResolvedRevision: null,
    })
    expect(Date.parse(data.expiresAt) - Date.parse(data.createdAt)).toBe(3_600_000)

    const listed = await env.me.get(`${env.x.base}/tokens`)
    expect(listed.status).toBe(200)
    const { token: shownOnce, ...metadata } = data
    expect(shownOnce).toMatch(TOKEN)
    expect(listed.body.data).toEqual([metadata])
    expect(listed.text).not.toContain(data.token)

    const rows = await server.sql('select * from runtime_tokens')
    expect(JSON.stringify(rows)).not.toContain(data.token)
    const hash = (await import('node:crypto')).createHash('sha256').update(data.token).digest('hex')
    expect(rows.map((row) => row.token_hash)).toContain(hash)

    const audit = await env.me.get(`/api/v1/audit?owner=${env.username}&action=env.token.create`)
    expect(audit.body.data[0].target).toMatchObject({ tokenId: data.id, tokenName: 'deploy bot' })
    expect(audit.text).not.toContain(data.token)
    expect(audit.text).not.toContain(hash)
    expect(server.log()).not.toContain(data.token)
  })

  it('authenticates, touches lastUsedAt, and records lastResolvedRevision', async () => {
    const env = await withEnvironments()
    const token = await create(env.me, env.x.base)
    const resolved = await api.as(token.token).post(`${env.x.base}/resolve`, {})
    expect(resolved.status, resolved.text).toBe(200)
    expect(resolved.body.data.values).toEqual({ API_KEY: 'x-value' })
    const [listed] = (await env.me.get(`${env.x.base}/tokens`)).body.data
    expect(listed.lastUsedAt).not.toBeNull()
    expect(listed.lastResolvedRevision).toBe(resolved.body.data.revision)
  })

  it('rotates: the old string stops at once, or after the grace period', async () => {
    const env = await withEnvironments()
    const token = await create(env.me, env.x.base)
    const rotated = await env.me.post(`${env.x.base}/tokens/${token.id}/rotate`, {})
    expect(rotated.status, rotated.text).toBe(200)
    expect(rotated.body.data).toMatchObject({ id: token.id, token: expect.stringMatching(TOKEN) })
    expect(rotated.body.data.token).not.toBe(token.token)
    expect(await resolveStatus(token.token, env.x.base)).toBe(401)
    expect(await resolveStatus(rotated.body.data.token, env.x.base)).toBe(200)

    // Without a body at all, too.
    const bare = await env.me.request('POST', `${env.x.base}/tokens/${token.id}/rotate`)
    expect(bare.status, bare.text).toBe(200)
    expect(await resolveStatus(rotated.body.data.token, env.x.base)).toBe(401)

    const graceful = await env.me.post(`${env.x.base}/tokens/${token.id}/rotate`, {
      graceSeconds: 2,
    })
    expect(graceful.status).toBe(200)
    expect(await resolveStatus(bare.body.data.token, env.x.base)).toBe(200)
    expect(await resolveStatus(graceful.body.data.token, env.x.base)).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 2_100))
    expect(await resolveStatus(bare.body.data.token, env.x.base)).toBe(401)
    expect(await resolveStatus(graceful.body.data.token, env.x.base)).toBe(200)

    const audit = await env.me.get(`/api/v1/audit?owner=${env.username}&action=env.token.rotate`)
    expect(audit.body.data).toHaveLength(3)
    expect(audit.text).not.toContain(graceful.body.data.token)
  })

  it('refuses a grace period over a day, bad names and bad expiries with 422', async () => {
    const env = await withEnvironments()
    const token = await create(env.me, env.x.base)
    for (const body of [{ graceSeconds: 86_401 }, { graceSeconds: -1 }, { graceSeconds: 1.5 }]) {
      const reply = await env.me.post(`${env.x.base}/tokens/${token.id}/rotate`, body)
      expect(reply.status, reply.text).toBe(422)
      expect(reply.body.errors[0].param).toBe('body.graceSeconds')
    }
    expect(await resolveStatus(token.token, env.x.base)).toBe(200)
    for (const [body, param] of [
      [{ name: '' }, 'body.name'],
      [{ name: 'x'.repeat(101) }, 'body.name'],
      [{ name: 'ok', expiresInSeconds: 0 }, 'body.expiresInSeconds'],
      [{ name: 'ok', tokn: 1 }, 'body'],
    ] as const) {
      const reply = await env.me.post(`${env.x.base}/tokens`, body)
      expect(reply.status, reply.text).toBe(422)
      expect(reply.body.errors[0].param).toContain(param)
    }
    expect((await env.me.get(`${env.x.base}/tokens`)).body.data).toHaveLength(1)
  })

  it('revokes: the string stops at once; unknown ids answer 404', async () => {
    const env = await withEnvironments()
    const token = await create(env.me, env.x.base)
    expect(await resolveStatus(token.token, env.x.base)).toBe(200)
    const deleted = await env.me.delete(`${env.x.base}/tokens/${token.id}`)
    expect(deleted.status).toBe(204)
    expect(deleted.text).toBe('')
    const reply = await api.as(token.token).post(`${env.x.base}/resolve`, {})
    expect(reply.status).toBe(401)
    expect(reply.body.errors[0].code).toBe('unauthenticated')
    expect((await env.me.delete(`${env.x.base}/tokens/${token.id}`)).status).toBe(404)
    // A token id of another environment is unknown here.
    const other = await create(env.me, env.y.base)
    expect((await env.me.delete(`${env.x.base}/tokens/${other.id}`)).status).toBe(404)
    expect((await env.me.post(`${env.x.base}/tokens/${other.id}/rotate`, {})).status).toBe(404)
  })

  it('stops working when it expires, and with its environment', async () => {
    const env = await withEnvironments()
    const token = await create(env.me, env.x.base, { name: 'short', expiresInSeconds: 1 })
    expect(await resolveStatus(token.token, env.x.base)).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    expect(await resolveStatus(token.token, env.x.base)).toBe(401)

    const doomed = await create(env.me, env.y.base)
    expect((await env.me.delete(env.y.base)).status).toBe(204)
    expect(await resolveStatus(doomed.token, env.y.base)).toBe(401)
  })

  it('answers 401 for an unknown or malformed cft_ string', async () => {
    const env = await withEnvironments()
    for (const bogus of [`cft_${randomBytes(32).toString('base64url')}`, 'cft_short', 'cft_']) {
      const reply = await api.as(bogus).post(`${env.x.base}/resolve`, {})
      expect(reply.status).toBe(401)
      expect(reply.body.errors[0].code).toBe('unauthenticated')
    }
  })

  it('cannot reach another environment of the same owner (404), nor another owner (404)', async () => {
    const env = await withEnvironments()
    const token = api.as((await create(env.me, env.x.base)).token)
    const otherUser = await withEnvironments()
    // Another owner's environment of the very same name as the token's own.
    const sameName = await otherUser.me.post('/api/v1/environments', {
      owner: otherUser.username,
      name: env.x.name,
    })
    expect(sameName.status, sameName.text).toBe(201)
    for (const base of [
      env.y.base,
      env.team.base,
      otherUser.x.base,
      `/api/v1/environments/${otherUser.username}/${env.x.name}`,
      `/api/v1/environments/${env.username}/${uniqueName('nosuch')}`,
      `/api/v1/environments/${uniqueName('nobody')}/${env.x.name}`,
    ]) {
      const resolved = await token.post(`${base}/resolve`, {})
      expect(resolved.status, `${base}: ${resolved.text}`).toBe(404)
      expect(resolved.text).not.toContain('y-value')
      const watched = await token.get(`${base}/revision?after=0`)
      expect(watched.status, `${base}: ${watched.text}`).toBe(404)
    }
    // The answers for Y (exists) and for an unknown name are alike apart from the name.
    const existing = await token.post(`${env.y.base}/resolve`, {})
    const unknownName = uniqueName('nosuch')
    const unknown = await token.post(
      `/api/v1/environments/${env.username}/${unknownName}/resolve`,
      {},
    )
    expect(JSON.stringify(existing.body).replaceAll(env.y.name, '<n>')).toBe(
      JSON.stringify(unknown.body).replaceAll(unknownName, '<n>'),
    )
  })

  it('is denied on every route of the OpenAPI document but resolve and revision of its own environment', async () => {
    const env = await withEnvironments()
    const token = await create(env.me, env.x.base)
    const runtime = api.as(token.token)
    const document = await api.get('/api/v1/openapi.json')
    expect(document.status).toBe(200)
    const routes = Object.entries(document.body.paths as Record<string, object>).flatMap(
      ([path, item]) =>
        Object.keys(item)
          .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
          .map((method) => [method.toUpperCase(), path] as const),
    )
    expect(routes.length).toBeGreaterThan(40)
    const fill: Record<string, string> = {
      owner: env.username,
      env: env.x.name,
      id: env.secretId,
      secretId: env.secretId,
      slug: env.slug,
      username: env.username,
    }
    const ALLOWED = new Set([
      'POST /api/v1/environments/{owner}/{env}/resolve',
      'GET /api/v1/environments/{owner}/{env}/revision',
    ])
    const PUBLIC = new Set([
      'GET /healthz',
      'GET /readyz',
      'GET /api/v1/healthz',
      'GET /api/v1/readyz',
      'GET /api/v1/openapi.json',
      'POST /api/v1/auth/login',
    ])
    const answers: string[] = []
    for (const [method, template] of routes) {
      const route = `${method} ${template}`
      if (PUBLIC.has(route)) continue
      const path = template.replace(
        /\{(\w+)\}/g,
        (_, name: string) => fill[name] ?? `c${randomBytes(12).toString('hex')}`,
      )
      const query = template.endsWith('/revision') ? '?after=0' : ''
      const body = method === 'GET' || method === 'DELETE' ? undefined : {}
      const reply = await runtime.request(method, path + query, body)
      if (ALLOWED.has(route)) {
        expect(reply.status, `${route}: ${reply.text}`).toBe(200)
      } else {
        expect([401, 403, 404], `${route}: ${reply.status} ${reply.text}`).toContain(reply.status)
      }
      answers.push(`${route} ${reply.status}`)
    }
    expect(answers.filter((answer) => answer.endsWith(' 200'))).toHaveLength(2)
    // Nothing changed: the environment still has its one secret and the one token.
    const secrets = await env.me.get(`${env.x.base}/secrets`)
    expect(secrets.body.data.map((s: { name: string }) => s.name)).toEqual(['API_KEY'])
    expect((await env.me.get(`${env.x.base}/tokens`)).body.data).toHaveLength(1)
  })

  it('lets viewers list tokens but not create, rotate or delete them', async () => {
    const env = await withEnvironments()
    const viewer = await newUser(api, admin, 'rtv')
    expect(
      (
        await env.me.post(`/api/v1/teams/${env.slug}/members`, {
          username: viewer.username,
          role: 'viewer',
        })
      ).status,
    ).toBe(201)
    const token = await create(env.me, env.team.base)
    const asViewer = api.as(viewer.token)
    const listed = await asViewer.get(`${env.team.base}/tokens`)
    expect(listed.status).toBe(200)
    expect(listed.body.data).toHaveLength(1)
    expect(listed.text).not.toContain(token.token)
    expect((await asViewer.post(`${env.team.base}/tokens`, { name: 'x' })).status).toBe(403)
    expect((await asViewer.post(`${env.team.base}/tokens/${token.id}/rotate`, {})).status).toBe(403)
    expect((await asViewer.delete(`${env.team.base}/tokens/${token.id}`)).status).toBe(403)
    expect(await resolveStatus(token.token, env.team.base)).toBe(200)
  })
})
