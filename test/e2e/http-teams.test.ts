// Teams and their members over HTTP (SPEC.md §1 owners and roles, §3.1, §3.8 whoami, §3.9 audit).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'
import { Api, adminToken, newUser, uniqueName, type Reply } from '../support/http.js'

const engines = await testEngines()

type Role = 'admin' | 'member' | 'viewer'
type Account = Awaited<ReturnType<typeof newUser>>

function expectError(reply: Reply, status: number, code: string, param?: string): void {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.body.detail).toBe(reply.body.errors[0].details)
  expect(reply.body.errors[0].code).toBe(code)
  if (param !== undefined) expect(reply.body.errors[0].param).toBe(param)
}

describe.each(engines)('teams over HTTP on %s', (engine) => {
  let server: TestServer
  let api: Api
  let adminTok: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    adminTok = await adminToken(api)
  })

  afterAll(async () => {
    await server.stop()
  })

  const user = (prefix = 'tm') => newUser(api, adminTok, prefix)

  /** A team created by a new admin, with one new user per role in `roles`. */
  async function aTeam(...roles: Role[]) {
    const admin = await user('tadm')
    const slug = uniqueName('team')
    const created = await api.as(admin.token).post('/api/v1/teams', { slug, name: 'A team' })
    expect(created.status, created.text).toBe(201)
    const members: Account[] = []
    for (const role of roles) {
      const member = await user(role.slice(0, 4))
      const added = await api
        .as(admin.token)
        .post(`/api/v1/teams/${slug}/members`, { username: member.username, role })
      expect(added.status, added.text).toBe(201)
      members.push(member)
    }
    return { slug, id: created.body.data.id as string, admin, members }
  }

  const membersOf = async (as: Account, slug: string) => {
    const reply = await api.as(as.token).get(`/api/v1/teams/${slug}/members`)
    expect(reply.status, reply.text).toBe(200)
    return Object.fromEntries(
      (reply.body.data as { username: string; role: Role }[]).map((m) => [m.username, m.role]),
    )
  }

  describe('POST /api/v1/teams', () => {
    it('creates a team whose creator is its admin', async () => {
      const creator = await user('creator')
      const slug = uniqueName('team')
      const reply = await api.as(creator.token).post('/api/v1/teams', { slug, name: 'Acme' })
      expect(reply.status, reply.text).toBe(201)
      expect(reply.body.data).toEqual({
        id: expect.stringMatching(/^c[a-z0-9]{24}$/),
        slug,
        name: 'Acme',
        createdAt: expect.any(String),
      })
      expect(await membersOf(creator, slug)).toEqual({ [creator.username]: 'admin' })
      const got = await api.as(creator.token).get(`/api/v1/teams/${slug}`)
      expect(got.status).toBe(200)
      expect(got.body.data).toEqual(reply.body.data)
    })

    it('names the team after its slug when no name is given', async () => {
      const creator = await user('noname')
      const slug = uniqueName('team')
      const reply = await api.as(creator.token).post('/api/v1/teams', { slug })
      expect(reply.status, reply.text).toBe(201)
      expect(reply.body.data.name).toBe(slug)
    })

    it.each([
      ['uppercase', 'Acme'],
      ['a leading dash', '-acme'],
      ['a trailing dash', 'acme-'],
      ['40 characters', 'a'.repeat(40)],
      ['a dot', 'ac.me'],
      ['unicode', 'äcme'],
      ['nothing', ''],
    ])('refuses a slug with %s (422)', async (_, slug) => {
      const creator = await user('badslug')
      const reply = await api.as(creator.token).post('/api/v1/teams', { slug })
      expectError(reply, 422, 'invalid', 'body.slug')
    })

    it('refuses a slug taken by a user or another team (409, one namespace)', async () => {
      const creator = await user('taken')
      const asUser = await api.as(creator.token).post('/api/v1/teams', { slug: creator.username })
      expectError(asUser, 409, 'name_conflict', 'body.slug')
      const { slug } = await aTeam()
      const again = await api.as(creator.token).post('/api/v1/teams', { slug })
      expectError(again, 409, 'name_conflict', 'body.slug')
      // Nothing was half-created: the creator belongs to no team.
      expect((await api.as(creator.token).get('/api/v1/teams')).body.data).toEqual([])
    })
  })

  describe('GET /api/v1/teams and /api/v1/me', () => {
    it('lists my teams with my role in each', async () => {
      const me = await user('lister')
      const mine = uniqueName('mine')
      expect((await api.as(me.token).post('/api/v1/teams', { slug: mine })).status).toBe(201)
      const theirs = await aTeam()
      await api
        .as(theirs.admin.token)
        .post(`/api/v1/teams/${theirs.slug}/members`, { username: me.username, role: 'viewer' })
      await aTeam() // one I am not in

      const listed = await api.as(me.token).get('/api/v1/teams')
      expect(listed.status).toBe(200)
      const roles = Object.fromEntries(
        (listed.body.data as { slug: string; role: Role }[]).map((t) => [t.slug, t.role]),
      )
      expect(roles).toEqual({ [mine]: 'admin', [theirs.slug]: 'viewer' })

      const who = await api.as(me.token).get('/api/v1/me')
      expect(who.status).toBe(200)
      expect(who.body.data.user).toMatchObject({ username: me.username, id: me.id })
      expect(
        Object.fromEntries(
          (who.body.data.teams as { slug: string; role: Role; id: string }[]).map((t) => [
            t.slug,
            t.role,
          ]),
        ),
      ).toEqual(roles)
      expect(who.body.data.teams).toContainEqual(
        expect.objectContaining({ slug: theirs.slug, id: theirs.id, role: 'viewer' }),
      )
    })

    it('GET /api/v1/user/whoami answers in the seed shape', async () => {
      const me = await user('whoami')
      const reply = await api.as(me.token).get('/api/v1/user/whoami')
      expect(reply.status).toBe(200)
      expect(Object.keys(reply.body.data).sort()).toEqual(['email', 'id', 'name', 'scope', 'slug'])
      expect(reply.body.data).toMatchObject({ id: me.id, name: me.username, slug: me.username })
      expect(typeof reply.body.data.scope).toBe('string')
    })
  })

  describe('GET /api/v1/teams/{slug}', () => {
    it('shows a team to its members and 404 to everyone else', async () => {
      const team = await aTeam('viewer')
      const outsider = await user('outsider')
      expect((await api.as(team.members[0]!.token).get(`/api/v1/teams/${team.slug}`)).status).toBe(
        200,
      )
      expectError(await api.as(outsider.token).get(`/api/v1/teams/${team.slug}`), 404, 'not_found')
      expectError(
        await api.as(outsider.token).get(`/api/v1/teams/${team.slug}/members`),
        404,
        'not_found',
      )
      expectError(await api.as(adminTok).get(`/api/v1/teams/${team.slug}`), 404, 'not_found')
      expectError(
        await api.as(outsider.token).get(`/api/v1/teams/${uniqueName('nosuch')}`),
        404,
        'not_found',
      )
    })
  })

  describe('members', () => {
    it('adds, changes and removes members', async () => {
      const team = await aTeam()
      const newcomer = await user('newcomer')
      const admin = api.as(team.admin.token)
      const path = `/api/v1/teams/${team.slug}/members`

      const added = await admin.post(path, { username: newcomer.username, role: 'viewer' })
      expect(added.status, added.text).toBe(201)
      expect(added.body.data).toMatchObject({
        userId: newcomer.id,
        username: newcomer.username,
        role: 'viewer',
      })
      expect(await membersOf(team.admin, team.slug)).toEqual({
        [team.admin.username]: 'admin',
        [newcomer.username]: 'viewer',
      })
      expect((await api.as(newcomer.token).get(`/api/v1/teams/${team.slug}`)).status).toBe(200)

      const changed = await admin.patch(`${path}/${newcomer.username}`, { role: 'member' })
      expect(changed.status, changed.text).toBe(200)
      expect(changed.body.data).toMatchObject({ username: newcomer.username, role: 'member' })
      expect((await membersOf(team.admin, team.slug))[newcomer.username]).toBe('member')

      const removed = await admin.delete(`${path}/${newcomer.username}`)
      expect(removed.status, removed.text).toBe(204)
      expect(removed.text).toBe('')
      expect(await membersOf(team.admin, team.slug)).toEqual({ [team.admin.username]: 'admin' })
      expectError(await api.as(newcomer.token).get(`/api/v1/teams/${team.slug}`), 404, 'not_found')
    })

    it('adds with role member by default', async () => {
      const team = await aTeam()
      const newcomer = await user('default')
      const added = await api
        .as(team.admin.token)
        .post(`/api/v1/teams/${team.slug}/members`, { username: newcomer.username })
      expect(added.status, added.text).toBe(201)
      expect(added.body.data.role).toBe('member')
    })

    it('answers 404 for an unknown user and 409 for a member already there', async () => {
      const team = await aTeam('member')
      const admin = api.as(team.admin.token)
      const path = `/api/v1/teams/${team.slug}/members`
      expectError(
        await admin.post(path, { username: uniqueName('ghost'), role: 'member' }),
        404,
        'not_found',
        'body.username',
      )
      expectError(
        await admin.post(path, { username: team.members[0]!.username, role: 'viewer' }),
        409,
        'name_conflict',
        'body.username',
      )
      expect((await membersOf(team.admin, team.slug))[team.members[0]!.username]).toBe('member')
      const stranger = await user('stranger')
      expectError(
        await admin.patch(`${path}/${stranger.username}`, { role: 'viewer' }),
        404,
        'not_found',
        'path.username',
      )
      expectError(
        await admin.delete(`${path}/${stranger.username}`),
        404,
        'not_found',
        'path.username',
      )
    })

    it('refuses an unknown role with 422', async () => {
      const team = await aTeam('member')
      const admin = api.as(team.admin.token)
      const path = `/api/v1/teams/${team.slug}/members`
      const newcomer = await user('badrole')
      expectError(
        await admin.post(path, { username: newcomer.username, role: 'owner' }),
        422,
        'invalid',
        'body.role',
      )
      expectError(
        await admin.patch(`${path}/${team.members[0]!.username}`, { role: 'root' }),
        422,
        'invalid',
        'body.role',
      )
    })

    it.each(['member', 'viewer'] as const)(
      'does not let a %s manage members (403)',
      async (role) => {
        const team = await aTeam(role, 'viewer')
        const [actor, target] = team.members as [Account, Account]
        const as = api.as(actor.token)
        const path = `/api/v1/teams/${team.slug}/members`
        const newcomer = await user('newcomer')
        expectError(await as.post(path, { username: newcomer.username }), 403, 'forbidden')
        expectError(
          await as.patch(`${path}/${target.username}`, { role: 'admin' }),
          403,
          'forbidden',
        )
        expectError(
          await as.patch(`${path}/${actor.username}`, { role: 'admin' }),
          403,
          'forbidden',
        )
        expectError(await as.delete(`${path}/${target.username}`), 403, 'forbidden')
        expectError(await as.delete(`${path}/${team.admin.username}`), 403, 'forbidden')
        expect(await membersOf(team.admin, team.slug)).toEqual({
          [team.admin.username]: 'admin',
          [actor.username]: role,
          [target.username]: 'viewer',
        })
      },
    )

    it('answers 404 to outsiders managing members', async () => {
      const team = await aTeam('member')
      const outsider = await user('outsider')
      const as = api.as(outsider.token)
      const path = `/api/v1/teams/${team.slug}/members`
      expectError(await as.post(path, { username: outsider.username }), 404, 'not_found')
      expectError(
        await as.patch(`${path}/${team.members[0]!.username}`, { role: 'viewer' }),
        404,
        'not_found',
      )
      expectError(await as.delete(`${path}/${team.members[0]!.username}`), 404, 'not_found')
      expectError(await as.delete(`${path}/${outsider.username}`), 404, 'not_found')
    })

    it.each(['member', 'viewer'] as const)('lets a %s leave the team', async (role) => {
      const team = await aTeam(role)
      const leaver = team.members[0]!
      const left = await api
        .as(leaver.token)
        .delete(`/api/v1/teams/${team.slug}/members/${leaver.username}`)
      expect(left.status, left.text).toBe(204)
      expect(await membersOf(team.admin, team.slug)).toEqual({ [team.admin.username]: 'admin' })
      expect((await api.as(leaver.token).get('/api/v1/teams')).body.data).toEqual([])
    })
  })

  describe('the last admin', () => {
    it('cannot be demoted or removed (409 last_admin)', async () => {
      const team = await aTeam('member')
      const admin = api.as(team.admin.token)
      const path = `/api/v1/teams/${team.slug}/members/${team.admin.username}`
      for (const role of ['member', 'viewer'] as const) {
        expectError(await admin.patch(path, { role }), 409, 'last_admin')
      }
      expectError(await admin.delete(path), 409, 'last_admin')
      // Setting the role it already has is no demotion.
      expect((await admin.patch(path, { role: 'admin' })).status).toBe(200)
      expect(await membersOf(team.admin, team.slug)).toEqual({
        [team.admin.username]: 'admin',
        [team.members[0]!.username]: 'member',
      })
    })

    it('can be demoted once while another admin exists', async () => {
      const team = await aTeam('admin')
      const second = team.members[0]!
      const path = `/api/v1/teams/${team.slug}/members`
      const demoted = await api
        .as(second.token)
        .patch(`${path}/${team.admin.username}`, { role: 'member' })
      expect(demoted.status, demoted.text).toBe(200)
      expectError(
        await api.as(second.token).patch(`${path}/${second.username}`, { role: 'viewer' }),
        409,
        'last_admin',
      )
      expect(await membersOf(second, team.slug)).toEqual({
        [team.admin.username]: 'member',
        [second.username]: 'admin',
      })
    })

    it('can be removed once while another admin exists', async () => {
      const team = await aTeam('admin')
      const second = team.members[0]!
      const path = `/api/v1/teams/${team.slug}/members`
      const removed = await api.as(team.admin.token).delete(`${path}/${second.username}`)
      expect(removed.status, removed.text).toBe(204)
      expectError(
        await api.as(team.admin.token).delete(`${path}/${team.admin.username}`),
        409,
        'last_admin',
      )
      expect(await membersOf(team.admin, team.slug)).toEqual({ [team.admin.username]: 'admin' })
    })

    it('keeps one admin when two admins step down at once', async () => {
      for (let round = 0; round < 3; round++) {
        const team = await aTeam('admin')
        const second = team.members[0]!
        const path = `/api/v1/teams/${team.slug}/members`
        const [demoted, removed] = await Promise.all([
          api.as(team.admin.token).patch(`${path}/${team.admin.username}`, { role: 'viewer' }),
          api.as(second.token).delete(`${path}/${second.username}`),
        ])
        // Exactly one succeeds; the other finds a sole admin left.
        expect([demoted.status === 200, removed.status === 204].filter(Boolean)).toHaveLength(1)
        expect([demoted.status, removed.status]).toContain(409)
        const remaining = await membersOf(demoted.status === 200 ? second : team.admin, team.slug)
        expect(Object.values(remaining).filter((role) => role === 'admin')).toHaveLength(1)
      }
    })
  })

  describe('team secrets', () => {
    it('members write, viewers read metadata, outsiders see nothing', async () => {
      const team = await aTeam('member', 'viewer')
      const [member, viewer] = team.members as [Account, Account]
      const outsider = await user('outsider')
      const name = `TEAM_${uniqueName('s').replaceAll('-', '_').toUpperCase()}`

      const created = await api
        .as(member.token)
        .post('/api/v1/secrets', { name, value: 'team-value-123', teamId: team.id })
      expect(created.status, created.text).toBe(200)
      expect(created.body.data).toMatchObject({ name, teamId: team.id, userId: null })
      const id = created.body.data.id as string

      const listed = await api.as(viewer.token).get(`/api/v1/secrets?teamId=${team.id}`)
      expect(listed.status).toBe(200)
      expect((listed.body.data as { id: string }[]).map((s) => s.id)).toEqual([id])
      expect(listed.text).not.toContain('team-value-123')
      expect((await api.as(viewer.token).get(`/api/v1/secrets/${id}`)).status).toBe(200)
      expectError(
        await api
          .as(viewer.token)
          .post('/api/v1/secrets', { name: `${name}_2`, value: 'v', teamId: team.id }),
        403,
        'forbidden',
      )
      expectError(
        await api.as(viewer.token).patch(`/api/v1/secrets/${id}`, { value: 'other' }),
        403,
        'forbidden',
      )

      // The viewer's personal scope is separate: without teamId, the team's secret is absent.
      const personal = await api.as(viewer.token).get('/api/v1/secrets')
      expect((personal.body.data as { id: string }[]).map((s) => s.id)).not.toContain(id)

      const outside = api.as(outsider.token)
      expectError(await outside.get(`/api/v1/secrets?teamId=${team.id}`), 404, 'not_found')
      expectError(
        await outside.post('/api/v1/secrets', { name: `${name}_3`, value: 'v', teamId: team.id }),
        404,
        'not_found',
      )
      expectError(await outside.get(`/api/v1/secrets/${id}`), 404, 'secret_not_found')
      expectError(await outside.delete(`/api/v1/secrets/${id}`), 404, 'secret_not_found')

      const listedAfter = await api.as(member.token).get(`/api/v1/secrets?teamId=${team.id}`)
      expect((listedAfter.body.data as { name: string }[]).map((s) => s.name)).toEqual([name])
    })

    it('follows a role change at once', async () => {
      const team = await aTeam('member')
      const member = team.members[0]!
      const path = `/api/v1/teams/${team.slug}/members/${member.username}`
      expect((await api.as(team.admin.token).patch(path, { role: 'viewer' })).status).toBe(200)
      expectError(
        await api
          .as(member.token)
          .post('/api/v1/secrets', { name: 'DEMOTED', value: 'v', teamId: team.id }),
        403,
        'forbidden',
      )
      expect((await api.as(team.admin.token).delete(path)).status).toBe(204)
      expectError(
        await api.as(member.token).get(`/api/v1/secrets?teamId=${team.id}`),
        404,
        'not_found',
      )
    })
  })

  describe('GET /api/v1/audit?owner=<team>', () => {
    it('records team and member changes for the team admin; members get 403', async () => {
      const team = await aTeam('member')
      const member = team.members[0]!
      const other = await user('audited')
      const admin = api.as(team.admin.token)
      const path = `/api/v1/teams/${team.slug}/members`
      expect((await admin.post(path, { username: other.username, role: 'viewer' })).status).toBe(
        201,
      )
      expect((await admin.patch(`${path}/${other.username}`, { role: 'member' })).status).toBe(200)
      expect((await admin.delete(`${path}/${other.username}`)).status).toBe(204)

      const reply = await admin.get(`/api/v1/audit?owner=${team.slug}`)
      expect(reply.status, reply.text).toBe(200)
      const events = reply.body.data as {
        action: string
        owner: string
        actor: { id: string; name: string }
        target: Record<string, unknown>
      }[]
      expect(events.every((e) => e.owner === team.slug)).toBe(true)
      const byAction = (action: string) => events.filter((e) => e.action === action)
      expect(byAction('team.create')).toHaveLength(1)
      expect(byAction('team.create')[0]!.actor).toMatchObject({
        id: team.admin.id,
        name: team.admin.username,
      })
      expect(
        byAction('team.member.add')
          .map((e) => e.target.username)
          .sort(),
      ).toEqual([member.username, other.username].sort())
      expect(byAction('team.member.update')).toEqual([
        expect.objectContaining({
          target: expect.objectContaining({ username: other.username, role: 'member' }),
        }),
      ])
      expect(byAction('team.member.remove')).toEqual([
        expect.objectContaining({ target: expect.objectContaining({ username: other.username }) }),
      ])
      // Newest first.
      expect(events.map((e) => e.action).slice(0, 2)).toEqual([
        'team.member.remove',
        'team.member.update',
      ])

      const filtered = await admin.get(`/api/v1/audit?owner=${team.slug}&action=team.member.add`)
      expect((filtered.body.data as { action: string }[]).map((e) => e.action)).toEqual([
        'team.member.add',
        'team.member.add',
      ])

      expectError(
        await api.as(member.token).get(`/api/v1/audit?owner=${team.slug}`),
        403,
        'forbidden',
      )
      expectError(
        await api.as(other.token).get(`/api/v1/audit?owner=${team.slug}`),
        404,
        'not_found',
      )
    })

    it("includes the team in an admin's unfiltered audit, not a member's", async () => {
      const team = await aTeam('member')
      const owners = async (account: Account) =>
        new Set(
          (
            (await api.as(account.token).get('/api/v1/audit?limit=200')).body.data as {
              owner: string
            }[]
          ).map((e) => e.owner),
        )
      expect(await owners(team.admin)).toContain(team.slug)
      expect(await owners(team.members[0]!)).not.toContain(team.slug)
    })
  })
})
