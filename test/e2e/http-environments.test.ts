// Environments through HTTP (SPEC.md §1 "Environments", "Conflict rules", "Scopes", "Generated
// secrets"; §3.3–3.5): CRUD, the revision, one name space across entry kinds (also under
// concurrency), links and their scope, write-only values, and refused input that writes nothing.
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const ID = /^c[a-z0-9]{24}$/
const SCOPE_DETAILS = (owner: string) =>
  `Secret not found in the scope of ${owner}; personal secrets link to personal environments, team secrets to that team's environments`

describe.each(engines)('environments over HTTP (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  const freshUser = async () => {
    const user = await newUser(api, admin, 'env')
    return { ...user, api: api.as(user.token) }
  }
  /** A user with a personal environment: `base` is its path. */
  const withEnvironment = async () => {
    const user = await freshUser()
    const name = uniqueName('app')
    const created = await user.api.post('/api/v1/environments', {
      owner: user.username,
      name,
      description: 'first',
    })
    expect(created.status, created.text).toBe(201)
    const base = `/api/v1/environments/${user.username}/${name}`
    return { ...user, name, base, envId: created.body.data.id as string }
  }
  const revisionOf = async (me: Api, base: string) =>
    (await me.get(base)).body.data.revision as number
  const ENTRY_TABLES = ['direct_secrets', 'variables', 'environment_links', 'environment_names']
  const countEntries = async () => {
    const counts: Record<string, number> = {}
    for (const table of ENTRY_TABLES) {
      counts[table] = Number((await server.sql(`select count(*) as n from ${table}`))[0]!.n)
    }
    return counts
  }
  const rawRequest = (method: string, path: string, token: string, body: string) => {
    // fetch would normalize dot segments; speak HTTP directly.
    const url = new URL(server.url)
    return new Promise<number>((resolve, reject) => {
      httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path,
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
        .on('error', reject)
        .end(body)
    })
  }

  it('creates, lists, gets, describes and deletes an environment', async () => {
    const me = await withEnvironment()
    const got = await me.api.get(me.base)
    expect(got.body.data).toEqual({
      id: me.envId,
      owner: me.username,
      name: me.name,
      description: 'first',
      revision: expect.any(Number),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    })
    const again = await me.api.post('/api/v1/environments', { owner: me.username, name: me.name })
    expect(again.status).toBe(409)
    expect(again.body.errors[0]).toMatchObject({ code: 'name_conflict', param: 'body.name' })

    const list = await me.api.get('/api/v1/environments')
    expect(list.body.data.map((e: { name: string }) => e.name)).toEqual([me.name])
    expect(list.body.meta).toEqual({ nextCursor: null })
    const byOwner = await me.api.get(`/api/v1/environments?owner=${me.username}`)
    expect(byOwner.body.data).toEqual(list.body.data)

    const patched = await me.api.patch(me.base, { description: 'second' })
    expect(patched.status).toBe(200)
    expect(patched.body.data.description).toBe('second')
    expect(patched.body.data.revision).toBe(got.body.data.revision)

    const removed = await me.api.delete(me.base)
    expect(removed.status).toBe(204)
    expect(removed.text).toBe('')
    const gone = await me.api.get(me.base)
    expect(gone.status).toBe(404)
    expect(gone.body.errors[0]).toMatchObject({ code: 'not_found', param: 'path.env' })
  })

  it('creates team environments for members and answers 404 for unknown owners', async () => {
    const lead = await freshUser()
    const slug = uniqueName('team')
    expect((await lead.api.post('/api/v1/teams', { slug })).status).toBe(201)
    const created = await lead.api.post('/api/v1/environments', { owner: slug, name: 'prod' })
    expect(created.status).toBe(201)
    expect(created.body.data.owner).toBe(slug)
    const listed = await lead.api.get(`/api/v1/environments?owner=${slug}`)
    expect(listed.body.data.map((e: { name: string }) => e.name)).toEqual(['prod'])
    const unknown = await lead.api.post('/api/v1/environments', {
      owner: uniqueName('nosuch'),
      name: 'x',
    })
    expect(unknown.status).toBe(404)
    const outsider = await freshUser()
    const invisible = await outsider.api.get(`/api/v1/environments/${slug}/prod`)
    const missing = await outsider.api.get(`/api/v1/environments/${uniqueName('nosuch')}/prod`)
    expect(invisible.status).toBe(404)
    expect(missing.status).toBe(404)
    expect(invisible.body.errors[0].param).toBe('path.owner')
  })

  it('deletes direct secrets, variables and links with the environment, not global secrets', async () => {
    const me = await withEnvironment()
    const global = await me.api.post('/api/v1/secrets', { name: 'SHARED', value: 'shared-value' })
    await me.api.post(`${me.base}/secrets`, { name: 'DIRECT', value: 'direct-value' })
    await me.api.post(`${me.base}/variables`, { name: 'DEBUG', value: '1' })
    await me.api.post(`${me.base}/links`, { secretId: global.body.data.id })
    expect((await me.api.delete(me.base)).status).toBe(204)
    for (const table of ENTRY_TABLES) {
      const rows = await server.sql(
        `select count(*) as n from ${table} where environment_id = ${engine === 'sqlite' ? '?' : '$1'}`,
        [me.envId],
      )
      expect(Number(rows[0]!.n), table).toBe(0)
    }
    expect((await me.api.get(`/api/v1/secrets/${global.body.data.id}`)).status).toBe(200)
    expect((await me.api.get(`/api/v1/secrets/${global.body.data.id}/links`)).body.data).toEqual([])
  })

  it('moves the revision on every resolve-relevant change, and only then', async () => {
    const me = await withEnvironment()
    let revision = await revisionOf(me.api, me.base)
    const moves = async (label: string, change: () => Promise<{ status: number }>) => {
      const reply = await change()
      expect(reply.status, label).toBeLessThan(300)
      const next = await revisionOf(me.api, me.base)
      expect(next, label).toBeGreaterThan(revision)
      revision = next
    }
    const stays = async (label: string, change: () => Promise<{ status: number }>) => {
      const reply = await change()
      expect(reply.status, label).toBeLessThan(300)
      expect(await revisionOf(me.api, me.base), label).toBe(revision)
    }
    const direct = await me.api.post(`${me.base}/secrets`, { name: 'API_KEY', value: 'one' })
    expect(direct.body.data.updatedRevision).toBeGreaterThan(revision)
    revision = await revisionOf(me.api, me.base)
    expect(direct.body.data.updatedRevision).toBe(revision)
    const directId = direct.body.data.id as string
    let variableId = ''
    await moves('variable create', async () => {
      const reply = await me.api.post(`${me.base}/variables`, { name: 'DEBUG', value: '1' })
      variableId = reply.body.data.id as string
      return reply
    })
    const generated = await me.api.post(`${me.base}/secrets`, {
      name: 'TOKEN',
      generate: { length: 16 },
    })
    revision = await revisionOf(me.api, me.base)
    const global = await me.api.post('/api/v1/secrets', { name: 'SHARED', value: 'shared-one' })
    const globalId = global.body.data.id as string

    await moves('direct value', () =>
      me.api.patch(`${me.base}/secrets/${directId}`, { value: 'two' }),
    )
    await moves('direct rename', () =>
      me.api.patch(`${me.base}/secrets/${directId}`, { name: 'API_KEY_2' }),
    )
    await moves('direct rollback', () =>
      me.api.post(`${me.base}/secrets/${directId}/rollback`, { version: 1 }),
    )
    await moves('rotate', () =>
      me.api.post(`${me.base}/secrets/${generated.body.data.id as string}/rotate`),
    )
    await moves('variable value', () =>
      me.api.patch(`${me.base}/variables/${variableId}`, { value: '2' }),
    )
    await moves('variable rename', () =>
      me.api.patch(`${me.base}/variables/${variableId}`, { name: 'VERBOSE' }),
    )
    await moves('link', () => me.api.post(`${me.base}/links`, { secretId: globalId }))
    await moves('global value', () =>
      me.api.patch(`/api/v1/secrets/${globalId}`, { value: 'shared-two' }),
    )
    const linked = (await me.api.get(`${me.base}/secrets`)).body.data.find(
      (e: { type: string }) => e.type === 'linked',
    )
    expect(linked.updatedRevision).toBe(revision)
    await moves('global rename', () =>
      me.api.patch(`/api/v1/secrets/${globalId}`, { name: 'SHARED_2' }),
    )
    await moves('global rollback', () =>
      me.api.post(`/api/v1/secrets/${globalId}/rollback`, { version: 1 }),
    )

    await stays('environment description', () => me.api.patch(me.base, { description: 'new' }))
    await stays('direct description', () =>
      me.api.patch(`${me.base}/secrets/${directId}`, { description: 'd' }),
    )
    await stays('variable description', () =>
      me.api.patch(`${me.base}/variables/${variableId}`, { description: 'd' }),
    )
    await stays('global description', () =>
      me.api.patch(`/api/v1/secrets/${globalId}`, { description: 'd' }),
    )

    await moves('unlink', () => me.api.delete(`${me.base}/links/${globalId}`))
    await moves('variable delete', () => me.api.delete(`${me.base}/variables/${variableId}`))
    await moves('direct delete', () => me.api.delete(`${me.base}/secrets/${directId}`))
  })

  it('keeps one name space across direct secrets, variables and links', async () => {
    const me = await withEnvironment()
    const conflict = async (reply: Promise<{ status: number; body: any }>, details: string) => {
      const answered = await reply
      expect(answered.status).toBe(409)
      expect(answered.body.errors[0]).toMatchObject({ code: 'name_conflict', details })
      expect(answered.body.detail).toBe(details)
    }
    await me.api.post(`${me.base}/secrets`, { name: 'OPENAI_API_KEY', value: 'sk' })
    const variable = await me.api.post(`${me.base}/variables`, { name: 'DEBUG', value: '1' })
    const global = await me.api.post('/api/v1/secrets', { name: 'SHARED', value: 'shared' })
    await me.api.post(`${me.base}/links`, { secretId: global.body.data.id })
    const sameName = await me.api.post('/api/v1/secrets', { name: 'OPENAI_API_KEY', value: 'x' })

    await conflict(
      me.api.post(`${me.base}/variables`, { name: 'OPENAI_API_KEY', value: 'x' }),
      'A direct secret with the name OPENAI_API_KEY already exists',
    )
    await conflict(
      me.api.post(`${me.base}/secrets`, { name: 'DEBUG', value: 'x' }),
      'An environment variable with the name DEBUG already exists',
    )
    await conflict(
      me.api.post(`${me.base}/secrets`, { name: 'SHARED', value: 'x' }),
      'A linked global secret with the name SHARED already exists',
    )
    await conflict(
      me.api.post(`${me.base}/links`, { secretId: sameName.body.data.id }),
      'A direct secret with the name OPENAI_API_KEY already exists',
    )
    await conflict(
      me.api.patch(`${me.base}/variables/${variable.body.data.id as string}`, { name: 'SHARED' }),
      'A linked global secret with the name SHARED already exists',
    )
    // A deleted entry frees its name.
    expect(
      (await me.api.delete(`${me.base}/variables/${variable.body.data.id as string}`)).status,
    ).toBe(204)
    expect((await me.api.post(`${me.base}/secrets`, { name: 'DEBUG', value: 'x' })).status).toBe(
      201,
    )
  })

  it('lets exactly one of 20 concurrent creates of one name win', async () => {
    const me = await withEnvironment()
    const before = await countEntries()
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? me.api.post(`${me.base}/secrets`, { name: 'RACE', value: `value-${i}` })
          : me.api.post(`${me.base}/variables`, { name: 'RACE', value: `value-${i}` }),
      ),
    )
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(19)
    const after = await countEntries()
    const added =
      after.direct_secrets! - before.direct_secrets! + (after.variables! - before.variables!)
    expect(added).toBe(1)
    expect(after.environment_names! - before.environment_names!).toBe(1)
  })

  it('links only global secrets of the environment’s owner', async () => {
    const lead = await freshUser()
    const slug = uniqueName('team')
    await lead.api.post('/api/v1/teams', { slug })
    await lead.api.post('/api/v1/environments', { owner: slug, name: 'prod' })
    await lead.api.post('/api/v1/environments', { owner: lead.username, name: 'mine' })
    const teamBase = `/api/v1/environments/${slug}/prod`
    const personalBase = `/api/v1/environments/${lead.username}/mine`
    const teamId = (await lead.api.get(`/api/v1/teams/${slug}`)).body.data.id as string
    const personal = await lead.api.post('/api/v1/secrets', { name: 'MINE', value: 'm' })
    const team = await lead.api.post('/api/v1/secrets', { name: 'OURS', value: 'o', teamId })

    const wrongTeam = await lead.api.post(`${teamBase}/links`, { secretId: personal.body.data.id })
    expect(wrongTeam.status).toBe(404)
    expect(wrongTeam.body.errors[0]).toMatchObject({
      code: 'secret_not_found',
      details: SCOPE_DETAILS(slug),
    })
    const wrongPersonal = await lead.api.post(`${personalBase}/links`, {
      secretId: team.body.data.id,
    })
    expect(wrongPersonal.status).toBe(404)
    expect(wrongPersonal.body.errors[0]).toMatchObject({
      code: 'secret_not_found',
      details: SCOPE_DETAILS(lead.username),
    })
    const unknown = await lead.api.post(`${teamBase}/links`, {
      secretId: 'c000000000000000000000000',
    })
    expect(unknown.status).toBe(404)
    expect(unknown.body.errors[0].details).toBe(SCOPE_DETAILS(slug))

    const linked = await lead.api.post(`${teamBase}/links`, { secretId: team.body.data.id })
    expect(linked.status).toBe(201)
    expect(linked.body.data).toMatchObject({
      id: expect.stringMatching(ID),
      name: 'OURS',
      type: 'linked',
      secretId: team.body.data.id,
      synced: null,
    })
    const twice = await lead.api.post(`${teamBase}/links`, { secretId: team.body.data.id })
    expect(twice.status).toBe(409)
    expect(twice.body.errors[0].code).toBe('name_conflict')
    const notLinked = await lead.api.delete(
      `${personalBase}/links/${personal.body.data.id as string}`,
    )
    expect(notLinked.status).toBe(404)
    const useUnlink = await lead.api.delete(`${teamBase}/secrets/${linked.body.data.id as string}`)
    expect(useUnlink.status).toBe(409)
    expect(useUnlink.body.errors[0].code).toBe('use_unlink')
  })

  it('refuses to delete a linked global secret until it is unlinked', async () => {
    const me = await withEnvironment()
    const global = await me.api.post('/api/v1/secrets', { name: 'SHARED', value: 'v' })
    const id = global.body.data.id as string
    await me.api.post(`${me.base}/links`, { secretId: id })
    const links = await me.api.get(`/api/v1/secrets/${id}/links`)
    expect(links.body.data).toEqual([
      { environment: `${me.username}/${me.name}`, environmentId: me.envId },
    ])
    const refused = await me.api.delete(`/api/v1/secrets/${id}`)
    expect(refused.status).toBe(409)
    expect(refused.body.errors[0].code).toBe('still_linked')
    expect(refused.body.errors[0].details).toContain(`${me.username}/${me.name}`)
    expect((await me.api.delete(`${me.base}/links/${id}`)).status).toBe(204)
    expect((await me.api.delete(`/api/v1/secrets/${id}`)).status).toBe(204)
  })

  it('refuses to rename a linked global secret onto a name taken in an environment', async () => {
    const me = await withEnvironment()
    const global = await me.api.post('/api/v1/secrets', { name: 'SHARED', value: 'v' })
    const id = global.body.data.id as string
    await me.api.post(`${me.base}/links`, { secretId: id })
    await me.api.post(`${me.base}/variables`, { name: 'TAKEN', value: '1' })
    const revision = await revisionOf(me.api, me.base)
    const refused = await me.api.patch(`/api/v1/secrets/${id}`, { name: 'TAKEN', value: 'v2' })
    expect(refused.status).toBe(409)
    expect(refused.body.errors[0]).toMatchObject({
      code: 'name_conflict',
      details: `An environment variable with the name TAKEN already exists in ${me.username}/${me.name}`,
    })
    const after = await me.api.get(`/api/v1/secrets/${id}`)
    expect(after.body.data).toMatchObject({ name: 'SHARED', version: 1 })
    expect(await revisionOf(me.api, me.base)).toBe(revision)
    const names = (await me.api.get(`${me.base}/secrets`)).body.data.map(
      (e: { name: string }) => e.name,
    )
    expect(names).toEqual(['SHARED'])
    // A free name moves the link's claim with it.
    expect((await me.api.patch(`/api/v1/secrets/${id}`, { name: 'RENAMED' })).status).toBe(200)
    expect((await me.api.post(`${me.base}/secrets`, { name: 'SHARED', value: 'x' })).status).toBe(
      201,
    )
    expect((await me.api.post(`${me.base}/secrets`, { name: 'RENAMED', value: 'x' })).status).toBe(
      409,
    )
  })

  it('returns a generated value once, in the requested shape, and rotates it', async () => {
    const me = await withEnvironment()
    const cases = [
      [{}, /^[A-Za-z0-9_-]{32}$/],
      [{ length: 40, alphabet: 'hex' }, /^[0-9a-f]{40}$/],
      [{ length: 256, alphabet: 'alphanumeric' }, /^[A-Za-z0-9]{256}$/],
      [{ length: 16, alphabet: 'base64url' }, /^[A-Za-z0-9_-]{16}$/],
    ] as const
    const values: string[] = []
    for (const [i, [generate, shape]] of cases.entries()) {
      const reply = await me.api.post(`${me.base}/secrets`, { name: `GEN_${i}`, generate })
      expect(reply.status, reply.text).toBe(201)
      expect(reply.body.data.value).toMatch(shape)
      values.push(reply.body.data.value as string)
    }
    const first = (await me.api.get(`${me.base}/secrets`)).body.data[0]
    const rotated = await me.api.post(`${me.base}/secrets/${first.id as string}/rotate`)
    expect(rotated.status).toBe(200)
    expect(rotated.body.data.value).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(rotated.body.data.value).not.toBe(values[0])
    expect(rotated.body.data.version).toBe(2)
    values.push(rotated.body.data.value as string)
    const replies = await Promise.all([
      me.api.get(`${me.base}/secrets`),
      me.api.get(`${me.base}/secrets/${first.id as string}/versions`),
      me.api.patch(`${me.base}/secrets/${first.id as string}`, { description: 'd' }),
      me.api.get('/api/v1/audit'),
    ])
    for (const reply of replies) for (const value of values) expect(reply.text).not.toContain(value)
    for (const value of values) expect(server.log()).not.toContain(value)

    const plain = await me.api.post(`${me.base}/secrets`, { name: 'PLAIN', value: 'p' })
    const notGenerated = await me.api.post(
      `${me.base}/secrets/${plain.body.data.id as string}/rotate`,
    )
    expect(notGenerated.status).toBe(422)
    expect(plain.body.data.value).toBeUndefined()
    for (const generate of [{ length: 15 }, { length: 257 }, { alphabet: 'binary' }]) {
      const refused = await me.api.post(`${me.base}/secrets`, { name: 'BAD_GEN', generate })
      expect(refused.status).toBe(422)
    }
    const both = await me.api.post(`${me.base}/secrets`, {
      name: 'BOTH',
      value: 'v',
      generate: {},
    })
    expect(both.status).toBe(422)
    expect(both.body.errors[0].param).toBe('body.generate')
    const neither = await me.api.post(`${me.base}/secrets`, { name: 'NEITHER' })
    expect(neither.status).toBe(422)
    expect(neither.body.errors[0].param).toBe('body.value')

    // Listings page by name.
    const firstPage = await me.api.get(`${me.base}/secrets?limit=2`)
    expect(firstPage.body.data.map((e: { name: string }) => e.name)).toEqual(['GEN_0', 'GEN_1'])
    const cursor = firstPage.body.meta.nextCursor as string
    const secondPage = await me.api.get(`${me.base}/secrets?limit=2&cursor=${cursor}`)
    expect(secondPage.body.data.map((e: { name: string }) => e.name)).toEqual(['GEN_2', 'GEN_3'])
  })

  it('keeps versions of direct secrets and rolls back to an old value', async () => {
    const me = await withEnvironment()
    const created = await me.api.post(`${me.base}/secrets`, {
      name: 'DB_URL',
      value: 'postgres://one-0123456789-AAAA',
    })
    const id = created.body.data.id as string
    await me.api.patch(`${me.base}/secrets/${id}`, { value: 'postgres://two-0123456789-BBBB' })
    const versions = await me.api.get(`${me.base}/secrets/${id}/versions`)
    expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([2, 1])
    expect(versions.body.data[0]).toEqual({
      version: 2,
      createdAt: expect.any(String),
      createdBy: me.username,
      hint: '…BBBB',
    })
    const rolledBack = await me.api.post(`${me.base}/secrets/${id}/rollback`, { version: 1 })
    expect(rolledBack.status).toBe(200)
    expect(rolledBack.body.data).toMatchObject({ version: 3, hint: '…AAAA', type: 'direct' })
    const unknown = await me.api.post(`${me.base}/secrets/${id}/rollback`, { version: 9 })
    expect(unknown.status).toBe(404)
    // Keeps the last 20.
    for (let i = 0; i < 20; i++) await me.api.patch(`${me.base}/secrets/${id}`, { value: `v${i}` })
    const kept = await me.api.get(`${me.base}/secrets/${id}/versions`)
    expect(kept.body.data).toHaveLength(20)
    expect(kept.body.data[0].version).toBe(23)
  })

  it('refuses bad input and writes nothing', async () => {
    const me = await withEnvironment()
    const global = await me.api.post('/api/v1/secrets', { name: 'G', value: 'g' })
    const before = await countEntries()
    const refusals: [Promise<{ status: number; body: any }>, number][] = [
      [me.api.post(`${me.base}/secrets`, { name: 'lower', value: 'v' }), 422],
      [me.api.post(`${me.base}/secrets`, { name: 'COFFER_X', value: 'v' }), 422],
      [me.api.post(`${me.base}/secrets`, { name: `A${'B'.repeat(255)}`, value: 'v' }), 422],
      [me.api.post(`${me.base}/variables`, { name: 'LD_PRELOAD', value: 'v' }), 422],
      [me.api.post(`${me.base}/secrets`, { name: 'BIG', value: 'x'.repeat(65_537) }), 413],
      [me.api.post(`${me.base}/variables`, { name: 'BIG', value: 'x'.repeat(65_537) }), 413],
      [me.api.post(`${me.base}/secrets`, { name: 'NUL', value: 'a\u0000b' }), 422],
      [me.api.post(`${me.base}/variables`, { name: 'NUL', value: 'a\u0000b' }), 422],
      [me.api.post(`${me.base}/secrets`, { name: 'EMPTY', value: '' }), 422],
      [me.api.post(`${me.base}/secrets`, { name: 'TYPO', vaule: 'v' }), 422],
      [me.api.post(`${me.base}/variables`, { name: 'TYPO', value: 'v', extra: 1 }), 422],
      [me.api.post(`${me.base}/links`, { secretId: 'c000000000000000000000000' }), 404],
      [me.api.post(`${me.base}/links`, { secretId: global.body.data.id, name: 'X' }), 422],
      [
        me.api.post(`/api/v1/environments/${me.username.toUpperCase()}/${me.name}/secrets`, {
          name: 'UP',
          value: 'v',
        }),
        404,
      ],
      [
        me.api.post(`/api/v1/environments/${me.username}/${me.name.toUpperCase()}/variables`, {
          name: 'UP',
          value: 'v',
        }),
        404,
      ],
      [me.api.post('/api/v1/environments', { owner: me.username, name: 'Bad Name' }), 422],
      [me.api.post('/api/v1/environments', { owner: me.username, name: '..' }), 422],
    ]
    for (const [reply, status] of refusals) {
      const answered = await reply
      expect(answered.status, JSON.stringify(answered.body)).toBe(status)
      expect(answered.body.detail).toBe(answered.body.errors[0].details)
    }
    for (const path of [
      `${me.base}/../${me.name}/secrets`,
      `${me.base}/%2e%2e/${me.name}/secrets`,
      `/api/v1/environments/${me.username}/%2E/secrets`,
    ]) {
      expect(await rawRequest('POST', path, me.token, '{"name":"DOT","value":"v"}')).toBe(400)
    }
    expect(await countEntries()).toEqual(before)
    const list = await me.api.get('/api/v1/environments')
    expect(list.body.data).toHaveLength(1)
  })

  it('shows variables to viewers, but no secret value to anyone', async () => {
    const lead = await freshUser()
    const viewer = await freshUser()
    const slug = uniqueName('team')
    await lead.api.post('/api/v1/teams', { slug })
    await lead.api.post(`/api/v1/teams/${slug}/members`, {
      username: viewer.username,
      role: 'viewer',
    })
    await lead.api.post('/api/v1/environments', { owner: slug, name: 'prod' })
    const base = `/api/v1/environments/${slug}/prod`
    const sentinel = `sentinel-${Date.now()}-never-shown-0123456789`
    const direct = await lead.api.post(`${base}/secrets`, { name: 'SECRET', value: sentinel })
    expect(direct.text).not.toContain(sentinel)
    const directId = direct.body.data.id as string
    await lead.api.patch(`${base}/secrets/${directId}`, { value: `${sentinel}-2` })
    await lead.api.post(`${base}/variables`, { name: 'REGION', value: 'eu-west-1' })

    const variables = await viewer.api.get(`${base}/variables`)
    expect(variables.status).toBe(200)
    expect(variables.body.data).toEqual([
      {
        id: expect.stringMatching(ID),
        name: 'REGION',
        value: 'eu-west-1',
        description: '',
        updatedRevision: expect.any(Number),
        synced: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    ])
    const secrets = await viewer.api.get(`${base}/secrets`)
    expect(secrets.body.data).toEqual([
      {
        id: directId,
        name: 'SECRET',
        description: '',
        type: 'direct',
        hint: '…89-2',
        version: 2,
        updatedRevision: expect.any(Number),
        synced: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    ])
    const write = await viewer.api.post(`${base}/variables`, { name: 'NOPE', value: '1' })
    expect(write.status).toBe(403)
    const replies = await Promise.all([
      viewer.api.get(`${base}/secrets`),
      viewer.api.get(`${base}/secrets/${directId}/versions`),
      viewer.api.post(`${base}/secrets/${directId}/rollback`, { version: 1 }),
      lead.api.get(`${base}/secrets/${directId}/versions`),
      lead.api.post(`${base}/secrets/${directId}/rollback`, { version: 1 }),
      lead.api.post(`${base}/secrets`, { name: 'SECRET', value: sentinel }),
      lead.api.post(`${base}/secrets`, { name: 'lower', value: sentinel }),
      lead.api.get('/api/v1/audit'),
    ])
    for (const reply of replies) expect(reply.text).not.toContain(sentinel)
    expect(server.log()).not.toContain(sentinel)
    const stored = await server.sql('select ciphertext from direct_secret_versions')
    for (const row of stored) {
      expect(Buffer.from(row.ciphertext as Uint8Array).toString('latin1')).not.toContain(sentinel)
    }
  })
})
