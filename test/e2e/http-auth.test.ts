// Authentication over HTTP (SPEC.md §2, §3.1): bootstrap, login, tokens, throttling, disabled
// users, user administration and the web session.
import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, startTestServer, testEngines, type TestServer } from '../support/server.js'
import { Api, adminToken, login, newUser, uniqueName, type Reply } from '../support/http.js'

const engines = await testEngines()

const PERSONAL_TOKEN = /^cfp_[A-Za-z0-9_-]{43}$/
const GENERATED_PASSWORD = /generated password:\s+(\S+)/

function expectError(reply: Reply, status: number, code: string, param?: string): void {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.body.detail).toBe(reply.body.errors[0].details)
  expect(reply.body.errors[0].code).toBe(code)
  if (param !== undefined) expect(reply.body.errors[0].param).toBe(param)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each(engines)('auth over HTTP on %s', (engine) => {
  let server: TestServer
  let api: Api
  let admin: Api

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = api.as(await adminToken(api))
  })

  afterAll(async () => {
    await server.stop()
  })

  /** A `?` or `$1` placeholder, as the engine wants it. */
  const placeholder = () => (engine === 'postgres' ? '$1' : '?')

  describe('bootstrap', () => {
    it('prints a generated admin password once, to stderr, and it logs in', async () => {
      const first = await startTestServer(engine, { env: { COFFER_BOOTSTRAP_ADMIN_PASSWORD: '' } })
      let second: TestServer | undefined
      try {
        const password = GENERATED_PASSWORD.exec(first.log())?.[1]
        expect(password, first.log()).toBeDefined()
        expect(first.log().split(password!)).toHaveLength(2) // printed exactly once
        await login(new Api(first), 'admin', password!)

        await first.stop({ keepData: true })
        second = await startTestServer(engine, {
          env: { COFFER_BOOTSTRAP_ADMIN_PASSWORD: '' },
          restartOf: first,
        })
        expect(second.log()).not.toMatch(GENERATED_PASSWORD)
        expect(second.log()).not.toContain(password!)
        await login(new Api(second), 'admin', password!)
      } finally {
        await (second ?? first).stop()
      }
    })

    it('uses COFFER_BOOTSTRAP_ADMIN_PASSWORD when set, and never prints it', async () => {
      await login(api, 'admin', ADMIN_PASSWORD)
      expect(server.log()).not.toMatch(GENERATED_PASSWORD)
      expect(server.log()).not.toContain(ADMIN_PASSWORD)
    })
  })

  describe('POST /api/v1/auth/login', () => {
    it('issues a cfp_ token stored only as its SHA-256', async () => {
      const user = await newUser(api, admin.token!, 'hash')
      const reply = await api.post('/api/v1/auth/login', {
        username: user.username,
        password: user.password,
        tokenName: 'laptop',
      })
      expect(reply.status, reply.text).toBe(200)
      const token = reply.body.data.token as string
      expect(token).toMatch(PERSONAL_TOKEN)
      expect(reply.body.data.user).toMatchObject({ username: user.username, isAdmin: false })
      expect(JSON.stringify(reply.body.data.user)).not.toContain(user.password)

      const hash = createHash('sha256').update(token).digest('hex')
      const stored = await server.sql(
        `select * from personal_tokens where token_hash = ${placeholder()}`,
        [hash],
      )
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({ name: 'laptop', kind: 'token' })
      const everyRow = JSON.stringify(await server.sql('select * from personal_tokens'))
      expect(everyRow).not.toContain(token)
      expect(everyRow).not.toContain(token.slice(4))
    })

    it('refuses a wrong password and an unknown user alike', async () => {
      const user = await newUser(api, admin.token!, 'wrong')
      const wrong = await api.post('/api/v1/auth/login', {
        username: user.username,
        password: 'not-the-password',
      })
      const unknown = await api.post('/api/v1/auth/login', {
        username: uniqueName('ghost'),
        password: 'not-the-password',
      })
      expectError(wrong, 401, 'unauthenticated')
      expect(unknown.body).toEqual(wrong.body)
    })

    it('throttles a username after 10 failures, even for the right password', async () => {
      const user = await newUser(api, admin.token!, 'throttle')
      for (let attempt = 1; attempt <= 10; attempt++) {
        const reply = await api.post('/api/v1/auth/login', {
          username: user.username,
          password: `wrong-password-${attempt}`,
        })
        expectError(reply, 401, 'unauthenticated')
      }
      const eleventh = await api.post('/api/v1/auth/login', {
        username: user.username,
        password: user.password,
      })
      expectError(eleventh, 429, 'rate_limited')
      // Per username: the throttle does not spill over to others, and tokens keep working.
      const other = await newUser(api, admin.token!, 'unthrottled')
      await login(api, other.username, other.password)
      expect((await api.as(user.token).get('/api/v1/me')).status).toBe(200)
    })

    // Regression: the count was read before and written after the password check, so 30
    // parallel guesses all answered 401 and the right password still logged in.
    it('counts failures that arrive at once (no parallel guessing past the limit)', async () => {
      const user = await newUser(api, admin.token!, 'burst')
      const replies = await Promise.all(
        Array.from({ length: 30 }, (_, attempt) =>
          api.post('/api/v1/auth/login', {
            username: user.username,
            password: `wrong-password-${attempt}`,
          }),
        ),
      )
      const statuses = replies.map((reply) => reply.status)
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10)
      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([])
      const right = await api.post('/api/v1/auth/login', {
        username: user.username,
        password: user.password,
      })
      expectError(right, 429, 'rate_limited')
    })
  })

  describe('POST /api/v1/auth/logout', () => {
    it('revokes exactly the presenting token', async () => {
      const user = await newUser(api, admin.token!, 'logout')
      const second = await login(api, user.username, user.password)
      const out = await api.as(user.token).post('/api/v1/auth/logout')
      expect(out.status, out.text).toBe(204)
      expect(out.text).toBe('')
      expectError(await api.as(user.token).get('/api/v1/me'), 401, 'unauthenticated')
      expect((await api.as(second).get('/api/v1/me')).status).toBe(200)
      expectError(await api.as(user.token).post('/api/v1/auth/logout'), 401, 'unauthenticated')
    })
  })

  describe('personal tokens', () => {
    it('shows a new token once, lists it without its string, and revokes it', async () => {
      const user = await newUser(api, admin.token!, 'tokens')
      const me = api.as(user.token)
      const created = await me.post('/api/v1/tokens', { name: 'ci' })
      expect(created.status, created.text).toBe(201)
      const { id, token } = created.body.data as { id: string; token: string }
      expect(token).toMatch(PERSONAL_TOKEN)
      expect(created.body.data).toMatchObject({ name: 'ci', expiresAt: null, lastUsedAt: null })
      expect(id).toMatch(/^c[a-z0-9]{24}$/)

      expect((await api.as(token).get('/api/v1/me')).body.data.user.username).toBe(user.username)
      const listed = await me.get('/api/v1/tokens')
      expect(listed.status).toBe(200)
      expect(listed.text).not.toContain(token)
      expect(listed.text).not.toContain(token.slice(4))
      const item = (listed.body.data as Record<string, unknown>[]).find((t) => t.id === id)
      expect(item).toBeDefined()
      expect(Object.keys(item!).sort()).toEqual(
        ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name'].sort(),
      )

      const deleted = await me.delete(`/api/v1/tokens/${id}`)
      expect(deleted.status, deleted.text).toBe(204)
      expect(deleted.text).toBe('')
      expectError(await api.as(token).get('/api/v1/me'), 401, 'unauthenticated')
      expectError(await me.delete(`/api/v1/tokens/${id}`), 404, 'not_found')
      expect(
        ((await me.get('/api/v1/tokens')).body.data as { id: string }[]).map((t) => t.id),
      ).not.toContain(id)
    })

    it("answers 404 for someone else's token id and leaves it working", async () => {
      const owner = await newUser(api, admin.token!, 'tokowner')
      const other = await newUser(api, admin.token!, 'tokother')
      const created = await api.as(owner.token).post('/api/v1/tokens', { name: 'mine' })
      expect(created.status).toBe(201)
      const reply = await api.as(other.token).delete(`/api/v1/tokens/${created.body.data.id}`)
      expectError(reply, 404, 'not_found')
      expect((await api.as(created.body.data.token).get('/api/v1/me')).status).toBe(200)
    })

    it('stops accepting a token after its expiresAt', async () => {
      const user = await newUser(api, admin.token!, 'expiry')
      const expiresAt = new Date(Date.now() + 2_000).toISOString()
      const created = await api.as(user.token).post('/api/v1/tokens', { name: 'short', expiresAt })
      expect(created.status, created.text).toBe(201)
      expect(created.body.data.expiresAt).toBe(expiresAt)
      const token = created.body.data.token as string
      expect((await api.as(token).get('/api/v1/me')).status).toBe(200)
      await sleep(Date.parse(expiresAt) - Date.now() + 300)
      expectError(await api.as(token).get('/api/v1/me'), 401, 'unauthenticated')
    })

    it.each([
      ['in the past', new Date(Date.now() - 60_000).toISOString()],
      ['not a time', 'tomorrow'],
    ])('refuses an expiresAt %s with 422', async (_, expiresAt) => {
      const user = await newUser(api, admin.token!, 'badexp')
      const reply = await api.as(user.token).post('/api/v1/tokens', { name: 'x', expiresAt })
      expectError(reply, 422, 'invalid', 'body.expiresAt')
    })
  })

  describe('bad credentials', () => {
    it.each([
      ['Bearer garbage', () => 'Bearer garbage'],
      ['an unknown cfp_ token', () => `Bearer cfp_${randomBytes(32).toString('base64url')}`],
      ['a runtime-looking cft_ token', () => `Bearer cft_${randomBytes(32).toString('base64url')}`],
      ['Basic auth', () => 'Basic x'],
      ['Bearer without a token', () => 'Bearer'],
    ])('refuses %s with 401 in the error shape', async (_, header) => {
      const reply = await api.get('/api/v1/me', { headers: { authorization: header() } })
      expectError(reply, 401, 'unauthenticated')
      expect(reply.body.errors).toHaveLength(1)
      expect(typeof reply.body.errors[0].param).toBe('string')
    })

    it('refuses a web session token sent as a bearer token', async () => {
      const user = await newUser(api, admin.token!, 'sessbearer')
      const reply = await api.post('/api/v1/auth/login', {
        username: user.username,
        password: user.password,
        session: true,
      })
      const cookie = /coffer_session=([^;]+)/.exec(reply.headers.get('set-cookie') ?? '')?.[1]
      expect(cookie).toBeDefined()
      expectError(
        await api.as(decodeURIComponent(cookie!)).get('/api/v1/me'),
        401,
        'unauthenticated',
      )
    })
  })

  describe('disabled users', () => {
    it('cannot log in and their tokens stop working until re-enabled', async () => {
      const user = await newUser(api, admin.token!, 'disabled')
      const disabled = await admin.patch(`/api/v1/users/${user.username}`, { disabled: true })
      expect(disabled.status, disabled.text).toBe(200)
      expect(disabled.body.data).toMatchObject({ username: user.username, disabled: true })

      expectError(await api.as(user.token).get('/api/v1/me'), 401, 'unauthenticated')
      const refused = await api.post('/api/v1/auth/login', {
        username: user.username,
        password: user.password,
      })
      expectError(refused, 401, 'unauthenticated')

      const enabled = await admin.patch(`/api/v1/users/${user.username}`, { disabled: false })
      expect(enabled.status, enabled.text).toBe(200)
      expect(enabled.body.data.disabled).toBe(false)
      const fresh = await login(api, user.username, user.password)
      expect((await api.as(fresh).get('/api/v1/me')).status).toBe(200)
    })

    it('answers 404 for an unknown username', async () => {
      const reply = await admin.patch(`/api/v1/users/${uniqueName('ghost')}`, { disabled: true })
      expectError(reply, 404, 'not_found')
    })
  })

  describe('POST /api/v1/users', () => {
    it('creates a user who can log in', async () => {
      const username = uniqueName('created')
      const reply = await admin.post('/api/v1/users', { username, password: 'long-password-1' })
      expect(reply.status, reply.text).toBe(201)
      expect(reply.body.data).toMatchObject({ username, isAdmin: false, disabled: false })
      expect(reply.text).not.toContain('long-password-1')
      await login(api, username, 'long-password-1')
    })

    it('refuses a non-admin with 403', async () => {
      const user = await newUser(api, admin.token!, 'nonadmin')
      const reply = await api
        .as(user.token)
        .post('/api/v1/users', { username: uniqueName('nope'), password: 'long-password-1' })
      expectError(reply, 403, 'forbidden')
      const patch = await api.as(user.token).patch(`/api/v1/users/${user.username}`, {
        isAdmin: true,
      })
      expectError(patch, 403, 'forbidden')
    })

    it('refuses a taken username with 409', async () => {
      const user = await newUser(api, admin.token!, 'dup')
      const reply = await admin.post('/api/v1/users', {
        username: user.username,
        password: 'long-password-1',
      })
      expectError(reply, 409, 'name_conflict', 'body.username')
    })

    it("refuses a team's slug as a username with 409 (one namespace)", async () => {
      const user = await newUser(api, admin.token!, 'slugger')
      const slug = uniqueName('shared')
      expect((await api.as(user.token).post('/api/v1/teams', { slug })).status).toBe(201)
      const reply = await admin.post('/api/v1/users', {
        username: slug,
        password: 'long-password-1',
      })
      expectError(reply, 409, 'name_conflict', 'body.username')
    })

    it.each([
      ['uppercase', 'Alice'],
      ['a leading dash', '-alice'],
      ['a trailing dash', 'alice-'],
      ['40 characters', 'a'.repeat(40)],
      ['unicode', 'ålice'],
      ['an underscore', 'al_ice'],
      ['nothing', ''],
    ])('refuses a username with %s (422)', async (_, username) => {
      const reply = await admin.post('/api/v1/users', { username, password: 'long-password-1' })
      expectError(reply, 422, 'invalid', 'body.username')
    })

    it('accepts a 39-character username', async () => {
      const username = `${uniqueName('x')}-`.padEnd(39, 'z')
      const reply = await admin.post('/api/v1/users', { username, password: 'long-password-1' })
      expect(reply.status, reply.text).toBe(201)
    })

    it('refuses a short password with 422', async () => {
      const reply = await admin.post('/api/v1/users', {
        username: uniqueName('short'),
        password: 'short',
      })
      expectError(reply, 422, 'invalid', 'body.password')
    })
  })

  describe('instance admins', () => {
    it('keeps the last active instance admin: no disabling or demoting themselves', async () => {
      const disable = await admin.patch('/api/v1/users/admin', { disabled: true })
      expectError(disable, 409, 'last_admin')
      const demote = await admin.patch('/api/v1/users/admin', { isAdmin: false })
      expectError(demote, 409, 'last_admin')
      const me = await admin.get('/api/v1/me')
      expect(me.body.data.user).toMatchObject({ username: 'admin', isAdmin: true, disabled: false })
    })

    it('lets an admin step down once another active admin exists', async () => {
      // Its own server: promoting a second admin would change what the test above relies on.
      const own = await startTestServer(engine)
      try {
        const ownApi = new Api(own)
        const root = ownApi.as(await adminToken(ownApi))
        const deputy = await newUser(ownApi, root.token!, 'deputy')
        const promoted = await root.patch(`/api/v1/users/${deputy.username}`, { isAdmin: true })
        expect(promoted.body.data.isAdmin).toBe(true)
        const demoted = await root.patch('/api/v1/users/admin', { isAdmin: false })
        expect(demoted.status, demoted.text).toBe(200)
        expect(demoted.body.data.isAdmin).toBe(false)
        // Now the deputy is the last one.
        const deputyApi = ownApi.as(deputy.token)
        expectError(
          await deputyApi.patch(`/api/v1/users/${deputy.username}`, { disabled: true }),
          409,
          'last_admin',
        )
        expectError(
          await root.post('/api/v1/users', { username: uniqueName('late'), password: 'pw-long-1' }),
          403,
          'forbidden',
        )
      } finally {
        await own.stop()
      }
    })

    // Regression: each change locked only its target user, so on PostgreSQL two admins stepping
    // down at once both counted two active admins and left none.
    it('keeps one active admin when two step down at once', async () => {
      const own = await startTestServer(engine)
      try {
        const ownApi = new Api(own)
        const root = ownApi.as(await adminToken(ownApi))
        for (let round = 0; round < 5; round++) {
          const deputy = await newUser(ownApi, root.token!, 'racer')
          const promoted = await root.patch(`/api/v1/users/${deputy.username}`, { isAdmin: true })
          expect(promoted.status, promoted.text).toBe(200)
          const [first, second] = await Promise.all([
            root.patch('/api/v1/users/admin', { isAdmin: false }),
            ownApi.as(deputy.token).patch(`/api/v1/users/${deputy.username}`, { isAdmin: false }),
          ])
          expect([first.status, second.status].sort()).toEqual([200, 409])
          // Whoever is still admin restores the bootstrap admin for the next round.
          const survivor = first.status === 409 ? root : ownApi.as(deputy.token)
          const restored = await survivor.patch('/api/v1/users/admin', { isAdmin: true })
          expect(restored.status, restored.text).toBe(200)
          if (first.status === 200) {
            expect(
              (await root.patch(`/api/v1/users/${deputy.username}`, { isAdmin: false })).status,
            ).toBe(200)
          }
        }
      } finally {
        await own.stop()
      }
    })
  })

  describe('web session', () => {
    it('uses an HttpOnly SameSite=Strict cookie and a CSRF token on mutations', async () => {
      const user = await newUser(api, admin.token!, 'web')
      const reply = await api.post('/api/v1/auth/login', {
        username: user.username,
        password: user.password,
        session: true,
      })
      expect(reply.status, reply.text).toBe(200)
      expect(reply.body.data.token).toBeNull()
      const csrfToken = reply.body.data.csrfToken as string
      expect(csrfToken).toEqual(expect.any(String))
      expect(csrfToken.length).toBeGreaterThanOrEqual(32)
      const setCookie = reply.headers.get('set-cookie') ?? ''
      expect(setCookie).toMatch(/^coffer_session=[^;]+/)
      expect(setCookie).toMatch(/;\s*HttpOnly/i)
      expect(setCookie).toMatch(/;\s*SameSite=Strict/i)
      expect(setCookie).toMatch(/;\s*Path=\//i)
      const cookie = /^coffer_session=[^;]+/.exec(setCookie)![0]
      expect(reply.text).not.toContain(cookie.slice('coffer_session='.length))
      const web = api.as(undefined)

      const me = await web.get('/api/v1/me', { headers: { cookie } })
      expect(me.status, me.text).toBe(200)
      expect(me.body.data.user.username).toBe(user.username)

      const slug = uniqueName('webteam')
      const noCsrf = await web.post('/api/v1/teams', { slug }, { headers: { cookie } })
      expectError(noCsrf, 403, 'forbidden')
      const wrongCsrf = await web.post(
        '/api/v1/teams',
        { slug },
        { headers: { cookie, 'x-csrf-token': `${csrfToken.slice(1)}x` } },
      )
      expectError(wrongCsrf, 403, 'forbidden')
      expect((await web.get(`/api/v1/teams/${slug}`, { headers: { cookie } })).status).toBe(404)

      const withCsrf = await web.post(
        '/api/v1/teams',
        { slug },
        { headers: { cookie, 'x-csrf-token': csrfToken } },
      )
      expect(withCsrf.status, withCsrf.text).toBe(201)

      const out = await web.post('/api/v1/auth/logout', undefined, {
        headers: { cookie, 'x-csrf-token': csrfToken },
      })
      expect(out.status, out.text).toBe(204)
      expectError(await web.get('/api/v1/me', { headers: { cookie } }), 401, 'unauthenticated')
      expect((await api.as(user.token).get('/api/v1/me')).status).toBe(200)
    })

    /** Logs in with `{session: true}`, sending `cookie` (a browser's leftover) when given. */
    async function sessionLogin(user: { username: string; password: string }, cookie?: string) {
      const reply = await api.post(
        '/api/v1/auth/login',
        { username: user.username, password: user.password, session: true },
        cookie === undefined ? {} : { headers: { cookie } },
      )
      expect(reply.status, reply.text).toBe(200)
      return {
        cookie: /^coffer_session=[^;]+/.exec(reply.headers.get('set-cookie') ?? '')![0],
        csrfToken: reply.body.data.csrfToken as string,
      }
    }

    // Regression: login read the leftover cookie first and answered 401, so a browser holding
    // a revoked session could not log in again until the cookie expired (12 hours).
    it('logs in again from a browser that still holds a revoked session cookie', async () => {
      const user = await newUser(api, admin.token!, 'stale')
      const old = await sessionLogin(user)
      const out = await api.post('/api/v1/auth/logout', undefined, {
        headers: { cookie: old.cookie, 'x-csrf-token': old.csrfToken },
      })
      expect(out.status).toBe(204)
      const again = await sessionLogin(user, old.cookie)
      expect(again.cookie).not.toBe(old.cookie)
      expect((await api.get('/api/v1/me', { headers: { cookie: again.cookie } })).status).toBe(200)
    })

    // Regression: a live session cookie without its CSRF token (a reloaded page has lost it)
    // made login answer 403, so the page could not start a new session.
    it('logs in again from a page that lost the CSRF token of a live session', async () => {
      const user = await newUser(api, admin.token!, 'reload')
      const live = await sessionLogin(user)
      const again = await sessionLogin(user, live.cookie)
      const created = await api.post(
        '/api/v1/tokens',
        { name: 'after-reload' },
        { headers: { cookie: again.cookie, 'x-csrf-token': again.csrfToken } },
      )
      expect(created.status, created.text).toBe(201)
      // The old session's CSRF token does not unlock the new session.
      const crossed = await api.post(
        '/api/v1/tokens',
        { name: 'crossed' },
        { headers: { cookie: again.cookie, 'x-csrf-token': live.csrfToken } },
      )
      expectError(crossed, 403, 'forbidden')
    })
  })
})
