// AI provider connections through HTTP (SPEC.md §1.5, §3.6): write-only keys, the connection
// test against a local fake provider (auth headers, wrong key, timeout, unreachable), attaching
// to environments under the conflict and scope rules, revisions, and refused input that writes
// nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.js'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const ID = /^c[a-z0-9]{24}$/
/** A sentinel key: any trace of it in a response, the audit or the log is a leak. */
const KEY = 'sk-coffer-sentinel-key-7f3a9c'
const WRONG_KEY = 'sk-coffer-wrong-key-0000000000'
const TIMEOUT_MS = 400
const SCOPE_DETAILS = (owner: string) =>
  `Secret not found in the scope of ${owner}; personal secrets link to personal environments, team secrets to that team's environments`

describe.each(engines)('AI provider connections over HTTP (%s)', (engine) => {
  let fake: FakeProvider
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    fake = await startFakeProvider(KEY)
    server = await startTestServer(engine, {
      env: {
        COFFER_PROVIDER_OPENAI_BASE_URL: `${fake.url}/openai/v1`,
        COFFER_PROVIDER_ANTHROPIC_BASE_URL: `${fake.url}/anthropic/v1/`,
        COFFER_PROVIDER_OPENROUTER_BASE_URL: `${fake.url}/slow/v1`,
        COFFER_PROVIDER_VENICE_BASE_URL: `${fake.url}/redirect/v1`,
        COFFER_PROVIDER_TEST_TIMEOUT_MS: String(TIMEOUT_MS),
      },
    })
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(async () => {
    // The key went to the fake provider only, never into the server's log.
    expect(server.log()).not.toContain(KEY)
    await server.stop()
    await fake.close()
  })

  const freshUser = async () => {
    const user = await newUser(api, admin, 'prov')
    return { ...user, api: api.as(user.token) }
  }
  const withEnvironment = async () => {
    const user = await freshUser()
    const name = uniqueName('app')
    const created = await user.api.post('/api/v1/environments', { owner: user.username, name })
    expect(created.status, created.text).toBe(201)
    return { ...user, name, base: `/api/v1/environments/${user.username}/${name}` }
  }
  const connect = async (me: Api, body: Record<string, unknown>) => {
    const reply = await me.post('/api/v1/providers', { apiKey: KEY, ...body })
    expect(reply.status, reply.text).toBe(201)
    return reply.body.data as { id: string; provider: string; names: string[] }
  }
  const revisionOf = async (me: Api, base: string) =>
    (await me.get(base)).body.data.revision as number
  const TABLES = ['provider_connections', 'provider_key_versions', 'environment_providers']
  const countRows = async () => {
    const counts: Record<string, number> = {}
    for (const table of [...TABLES, 'environment_names', 'audit_events']) {
      counts[table] = Number((await server.sql(`select count(*) as n from ${table}`))[0]!.n)
    }
    return counts
  }

  it('stores a key write-only: 201 with a hint, listings and the audit never carry it', async () => {
    const me = await freshUser()
    const created = await me.api.post('/api/v1/providers', {
      provider: 'openai',
      apiKey: KEY,
      label: 'Team OpenAI',
    })
    expect(created.status, created.text).toBe(201)
    expect(created.body.data).toEqual({
      id: expect.stringMatching(ID),
      provider: 'openai',
      label: 'Team OpenAI',
      baseUrl: null,
      hint: `…${KEY.slice(-4)}`,
      version: 1,
      names: ['OPENAI_API_KEY'],
      userId: me.id,
      teamId: null,
      lastTestOk: null,
      lastTestedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    })
    const custom = await connect(me.api, {
      provider: 'custom',
      apiKey: 'short-key',
      baseUrl: `${fake.url}/custom/v1/`,
    })
    expect(custom).toMatchObject({
      label: 'Custom',
      baseUrl: `${fake.url}/custom/v1`,
      hint: null,
      names: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    })
    const list = await me.api.get('/api/v1/providers')
    expect(list.status).toBe(200)
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([
      created.body.data.id,
      custom.id,
    ])
    expect(list.text).not.toContain(KEY)
    // Stored encrypted: the ciphertext column does not hold the key's bytes.
    const rows = await server.sql('select ciphertext from provider_key_versions')
    for (const row of rows)
      expect(Buffer.from(row.ciphertext as Uint8Array).toString('latin1')).not.toContain(KEY)
    const audit = await me.api.get(`/api/v1/audit?owner=${me.username}`)
    expect(audit.body.data.map((e: { action: string }) => e.action)).toContain('provider.create')
    expect(audit.text).not.toContain(KEY)
    // Another user sees neither the list nor the connection.
    const other = await freshUser()
    expect((await other.api.get('/api/v1/providers')).body.data).toEqual([])
    const patched = await other.api.patch(`/api/v1/providers/${custom.id}`, { label: 'x' })
    expect(patched.status).toBe(404)
  })

  it('tests a key with each provider’s auth header and records the result', async () => {
    const me = await freshUser()
    const openai = await connect(me.api, { provider: 'openai' })
    const anthropic = await connect(me.api, { provider: 'anthropic' })
    const custom = await connect(me.api, {
      provider: 'custom',
      baseUrl: `${fake.url}/custom/v1`,
    })
    for (const connection of [openai, anthropic, custom]) {
      const before = fake.requests.length
      const tested = await me.api.post(`/api/v1/providers/${connection.id}/test`)
      expect(tested.status, tested.text).toBe(200)
      expect(tested.body.data).toEqual({
        ok: true,
        status: 200,
        latencyMs: expect.any(Number),
        details: `${fake.url} accepted the key and lists 2 models`,
      })
      expect(tested.text).not.toContain(KEY)
      const seen = fake.requests.slice(before)
      expect(seen).toHaveLength(1)
      const [request] = seen
      if (connection.provider === 'anthropic') {
        expect(request!.path).toBe('/anthropic/v1/models')
        expect(request!.headers['x-api-key']).toBe(KEY)
        expect(request!.headers['anthropic-version']).toBe('2023-06-01')
        expect(request!.headers.authorization).toBeUndefined()
      } else {
        expect(request!.path).toBe(`/${connection.provider}/v1/models`)
        expect(request!.headers.authorization).toBe(`Bearer ${KEY}`)
      }
    }
    const listed = await me.api.get('/api/v1/providers')
    for (const connection of listed.body.data) {
      expect(connection.lastTestOk).toBe(true)
      expect(connection.lastTestedAt).toEqual(expect.any(String))
    }
  })

  it('answers ok: false, never a 5xx, for a wrong key, a timeout, a redirect and no server', async () => {
    const me = await freshUser()
    const wrong = await connect(me.api, { provider: 'openai', apiKey: WRONG_KEY })
    const slow = await connect(me.api, { provider: 'openrouter' })
    const redirect = await connect(me.api, { provider: 'venice' })
    const closed = await connect(me.api, { provider: 'custom', baseUrl: 'http://127.0.0.1:1/v1' })

    const rejected = await me.api.post(`/api/v1/providers/${wrong.id}/test`)
    expect(rejected.status).toBe(200)
    expect(rejected.body.data).toMatchObject({ ok: false, status: 401 })
    expect(rejected.body.data.details).toMatch(/rejected the key \(HTTP 401\)/)
    // The fake provider quoted the key back; Coffer relays none of it.
    expect(rejected.text).not.toContain(WRONG_KEY)

    const timedOut = await me.api.post(`/api/v1/providers/${slow.id}/test`)
    expect(timedOut.status).toBe(200)
    expect(timedOut.body.data).toMatchObject({ ok: false, status: null })
    expect(timedOut.body.data.details).toBe(
      `${fake.url} did not answer within 0.4 s; check the base URL and the network`,
    )
    expect(timedOut.body.data.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)

    const moved = await me.api.post(`/api/v1/providers/${redirect.id}/test`)
    expect(moved.body.data).toMatchObject({ ok: false, status: 302 })
    expect(moved.body.data.details).toMatch(/redirect .* not followed/)

    const unreachable = await me.api.post(`/api/v1/providers/${closed.id}/test`)
    expect(unreachable.status).toBe(200)
    expect(unreachable.body.data).toMatchObject({ ok: false, status: null })
    expect(unreachable.body.data.details).toMatch(/^Could not reach http:\/\/127\.0\.0\.1:1/)

    const listed = await me.api.get('/api/v1/providers')
    expect(listed.body.data.map((c: { lastTestOk: boolean }) => c.lastTestOk)).toEqual([
      false,
      false,
      false,
      false,
    ])
    const audit = await me.api.get(`/api/v1/audit?owner=${me.username}&action=provider.test`)
    expect(audit.body.data).toHaveLength(4)
    expect(audit.body.data[0].outcome).toBe('failure')
    expect(audit.text).not.toContain(WRONG_KEY)
  })

  it('attaches and detaches a connection, claiming its names and moving the revision', async () => {
    const me = await withEnvironment()
    const custom = await connect(me.api, { provider: 'custom', baseUrl: `${fake.url}/custom/v1` })
    const anthropic = await connect(me.api, { provider: 'anthropic' })
    const start = await revisionOf(me.api, me.base)

    const attached = await me.api.post(`${me.base}/providers`, { connectionId: custom.id })
    expect(attached.status, attached.text).toBe(201)
    expect(attached.body.data).toEqual({
      id: expect.stringMatching(ID),
      connectionId: custom.id,
      provider: 'custom',
      label: 'Custom',
      baseUrl: `${fake.url}/custom/v1`,
      hint: `…${KEY.slice(-4)}`,
      names: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
      lastTestOk: null,
      lastTestedAt: null,
      updatedRevision: start + 1,
      synced: null,
      createdAt: expect.any(String),
    })
    expect(await revisionOf(me.api, me.base)).toBe(start + 1)
    await me.api.post(`${me.base}/providers`, { connectionId: anthropic.id })
    const listed = await me.api.get(`${me.base}/providers`)
    expect(listed.status).toBe(200)
    expect(listed.body.data.map((a: { provider: string }) => a.provider)).toEqual([
      'anthropic',
      'custom',
    ])
    expect(listed.text).not.toContain(KEY)
    // The names are taken for every other kind of entry.
    const variable = await me.api.post(`${me.base}/variables`, {
      name: 'OPENAI_BASE_URL',
      value: 'x',
    })
    expect(variable.status).toBe(409)
    expect(variable.body.errors[0].details).toBe(
      'An attached provider connection with the name OPENAI_BASE_URL already exists',
    )

    const detached = await me.api.delete(`${me.base}/providers/${custom.id}`)
    expect(detached.status).toBe(204)
    expect(await revisionOf(me.api, me.base)).toBe(start + 3)
    const again = await me.api.delete(`${me.base}/providers/${custom.id}`)
    expect(again.status).toBe(404)
    // The names are free again.
    expect(
      (await me.api.post(`${me.base}/variables`, { name: 'OPENAI_BASE_URL', value: 'x' })).status,
    ).toBe(201)
    const audit = await me.api.get(`/api/v1/audit?owner=${me.username}`)
    const actions = audit.body.data.map((e: { action: string }) => e.action)
    expect(actions).toEqual(expect.arrayContaining(['env.provider.attach', 'env.provider.detach']))
  })

  it('moves the revision of attached environments on a new key or base URL, not a label', async () => {
    const me = await withEnvironment()
    const custom = await connect(me.api, { provider: 'custom', baseUrl: `${fake.url}/custom/v1` })
    await me.api.post(`${me.base}/providers`, { connectionId: custom.id })
    await me.api.post(`/api/v1/providers/${custom.id}/test`)
    const start = await revisionOf(me.api, me.base)

    const relabelled = await me.api.patch(`/api/v1/providers/${custom.id}`, { label: 'Local LLM' })
    expect(relabelled.status, relabelled.text).toBe(200)
    expect(relabelled.body.data).toMatchObject({ label: 'Local LLM', version: 1, lastTestOk: true })
    expect(await revisionOf(me.api, me.base)).toBe(start)

    const rekeyed = await me.api.patch(`/api/v1/providers/${custom.id}`, {
      apiKey: 'sk-second-key-000000000000000042',
    })
    expect(rekeyed.status, rekeyed.text).toBe(200)
    expect(rekeyed.body.data).toMatchObject({ version: 2, hint: '…0042', lastTestOk: null })
    expect(rekeyed.text).not.toContain('sk-second-key')
    expect(await revisionOf(me.api, me.base)).toBe(start + 1)
    const attachment = (await me.api.get(`${me.base}/providers`)).body.data[0]
    expect(attachment).toMatchObject({ updatedRevision: start + 1, hint: '…0042' })

    const moved = await me.api.patch(`/api/v1/providers/${custom.id}`, {
      baseUrl: `${fake.url}/moved/v1`,
    })
    expect(moved.body.data.baseUrl).toBe(`${fake.url}/moved/v1`)
    expect(await revisionOf(me.api, me.base)).toBe(start + 2)
  })

  it('resolves attached providers with source provider, and every key change at once', async () => {
    const me = await withEnvironment()
    const custom = await connect(me.api, { provider: 'custom', baseUrl: `${fake.url}/custom/v1` })
    const anthropic = await connect(me.api, { provider: 'anthropic' })
    await me.api.post(`${me.base}/variables`, { name: 'DEBUG', value: '1' })
    for (const connection of [custom, anthropic]) {
      expect(
        (await me.api.post(`${me.base}/providers`, { connectionId: connection.id })).status,
      ).toBe(201)
    }
    const resolve = async () => {
      const reply = await me.api.post(`${me.base}/resolve`, {})
      expect(reply.status, reply.text).toBe(200)
      return reply.body.data as {
        revision: number
        values: Record<string, string>
        sources: Record<string, string>
      }
    }
    const first = await resolve()
    const listed = await me.api.get(`${me.base}/providers`)
    expect(listed.body.data.map((a: { synced: boolean }) => a.synced)).toEqual([true, true])
    expect(first.values).toEqual({
      ANTHROPIC_API_KEY: KEY,
      DEBUG: '1',
      OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: `${fake.url}/custom/v1`,
    })
    expect(first.sources).toEqual({
      ANTHROPIC_API_KEY: 'provider',
      DEBUG: 'variable',
      OPENAI_API_KEY: 'provider',
      OPENAI_BASE_URL: 'provider',
    })

    // A new key (and base URL) reaches the next resolve: the revision moved, the cache follows.
    const newKey = 'sk-rotated-provider-key-000000001'
    await me.api.patch(`/api/v1/providers/${custom.id}`, {
      apiKey: newKey,
      baseUrl: `${fake.url}/other/v1`,
    })
    const unsynced = await me.api.get(`${me.base}/providers`)
    expect(
      unsynced.body.data.map((a: { provider: string; synced: boolean }) => [a.provider, a.synced]),
    ).toEqual([
      ['anthropic', true],
      ['custom', false],
    ])
    const second = await resolve()
    expect(second.revision).toBeGreaterThan(first.revision)
    expect(second.values.OPENAI_API_KEY).toBe(newKey)
    expect(second.values.OPENAI_BASE_URL).toBe(`${fake.url}/other/v1`)
    expect(second.values.ANTHROPIC_API_KEY).toBe(KEY)

    // Requirements select provider names like any other.
    const selected = await me.api.post(`${me.base}/resolve`, {
      requirements: { secrets: [{ key: 'ANTHROPIC_API_KEY' }] },
    })
    expect(selected.body.data.values).toEqual({ ANTHROPIC_API_KEY: KEY })

    await me.api.delete(`${me.base}/providers/${custom.id}`)
    const third = await resolve()
    expect(Object.keys(third.values)).toEqual(['ANTHROPIC_API_KEY', 'DEBUG'])
    const audit = await me.api.get(`/api/v1/audit?owner=${me.username}&action=env.resolve`)
    expect(audit.text).not.toContain(KEY)
    expect(audit.text).not.toContain(newKey)
  })

  it('refuses a second connection of one provider, a taken name, and another scope', async () => {
    const me = await withEnvironment()
    const first = await connect(me.api, { provider: 'openai', label: 'First' })
    const second = await connect(me.api, { provider: 'openai', label: 'Second' })
    const custom = await connect(me.api, { provider: 'custom', baseUrl: `${fake.url}/custom/v1` })
    expect((await me.api.post(`${me.base}/providers`, { connectionId: first.id })).status).toBe(201)
    // A name held by a direct secret.
    const other = await withEnvironment()
    await other.api.post(`${other.base}/secrets`, { name: 'ANTHROPIC_API_KEY', value: 'direct' })
    const anthropic = await connect(other.api, { provider: 'anthropic' })
    const before = await countRows()
    const revision = await revisionOf(me.api, me.base)

    const twice = await me.api.post(`${me.base}/providers`, { connectionId: first.id })
    expect(twice.status).toBe(409)
    expect(twice.body.errors[0]).toMatchObject({
      code: 'name_conflict',
      param: 'body.connectionId',
    })

    const conflict = await me.api.post(`${me.base}/providers`, { connectionId: second.id })
    expect(conflict.status).toBe(409)
    expect(conflict.body.errors[0]).toMatchObject({
      code: 'provider_conflict',
      param: 'body.connectionId',
    })
    expect(conflict.body.detail).toContain(
      `already has a connection to openai (First, ${first.id})`,
    )

    // custom injects OPENAI_API_KEY too: the conflict rules name the holder.
    const taken = await me.api.post(`${me.base}/providers`, { connectionId: custom.id })
    expect(taken.status).toBe(409)
    expect(taken.body.errors[0]).toEqual({
      code: 'name_conflict',
      param: 'body.connectionId',
      details: 'An attached provider connection with the name OPENAI_API_KEY already exists',
    })

    const held = await other.api.post(`${other.base}/providers`, { connectionId: anthropic.id })
    expect(held.status).toBe(409)
    expect(held.body.detail).toBe('A direct secret with the name ANTHROPIC_API_KEY already exists')

    // Another owner's connection (and an unknown id) does not exist in this scope.
    const foreign = await me.api.post(`${me.base}/providers`, { connectionId: anthropic.id })
    const unknown = await me.api.post(`${me.base}/providers`, {
      connectionId: 'c000000000000000000000000',
    })
    for (const reply of [foreign, unknown]) {
      expect(reply.status).toBe(404)
      expect(reply.body.errors[0]).toEqual({
        code: 'secret_not_found',
        param: 'body.connectionId',
        details: SCOPE_DETAILS(me.username),
      })
    }
    expect(await revisionOf(me.api, me.base)).toBe(revision)
    expect(await countRows()).toEqual(before)
  })

  it('lets exactly one of two concurrent attaches of one provider, or of one name, win', async () => {
    const me = await withEnvironment()
    const first = await connect(me.api, { provider: 'openai', label: 'First' })
    const second = await connect(me.api, { provider: 'openai', label: 'Second' })
    const replies = await Promise.all(
      [first, second].map((c) => me.api.post(`${me.base}/providers`, { connectionId: c.id })),
    )
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409])
    expect(replies.find((r) => r.status === 409)!.body.errors[0].code).toBe('provider_conflict')
    expect((await me.api.get(`${me.base}/providers`)).body.data).toHaveLength(1)

    // A variable and a provider racing for ANTHROPIC_API_KEY: one holds it, the other is told who.
    const anthropic = await connect(me.api, { provider: 'anthropic' })
    const raced = await Promise.all([
      me.api.post(`${me.base}/providers`, { connectionId: anthropic.id }),
      me.api.post(`${me.base}/variables`, { name: 'ANTHROPIC_API_KEY', value: 'v' }),
    ])
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409])
    const lost = raced.find((r) => r.status === 409)!
    expect(lost.body.errors[0].code).toBe('name_conflict')
    expect(lost.body.detail).toMatch(/with the name ANTHROPIC_API_KEY already exists$/)
  })

  it("keeps a team's connection to the team's environments", async () => {
    const lead = await freshUser()
    const slug = uniqueName('team')
    const team = await lead.api.post('/api/v1/teams', { slug })
    const teamId = team.body.data.id as string
    await lead.api.post('/api/v1/environments', { owner: slug, name: 'prod' })
    await lead.api.post('/api/v1/environments', { owner: lead.username, name: 'mine' })
    const teamConnection = await connect(lead.api, { provider: 'openai', teamId })
    expect(teamConnection).toMatchObject({ teamId, userId: null })
    const personal = await connect(lead.api, { provider: 'openai' })
    expect((await lead.api.get(`/api/v1/providers?teamId=${teamId}`)).body.data).toHaveLength(1)

    const crossed = await lead.api.post(`/api/v1/environments/${lead.username}/mine/providers`, {
      connectionId: teamConnection.id,
    })
    expect(crossed.status).toBe(404)
    expect(crossed.body.detail).toBe(SCOPE_DETAILS(lead.username))
    const crossedBack = await lead.api.post(`/api/v1/environments/${slug}/prod/providers`, {
      connectionId: personal.id,
    })
    expect(crossedBack.status).toBe(404)
    expect(crossedBack.body.detail).toBe(SCOPE_DETAILS(slug))
    const attached = await lead.api.post(`/api/v1/environments/${slug}/prod/providers`, {
      connectionId: teamConnection.id,
    })
    expect(attached.status).toBe(201)
  })

  it('refuses to delete an attached connection, naming the environments; deletes once detached', async () => {
    const me = await withEnvironment()
    const second = await me.api.post('/api/v1/environments', {
      owner: me.username,
      name: 'another',
    })
    expect(second.status).toBe(201)
    const connection = await connect(me.api, { provider: 'openai' })
    await me.api.post(`${me.base}/providers`, { connectionId: connection.id })
    await me.api.post(`/api/v1/environments/${me.username}/another/providers`, {
      connectionId: connection.id,
    })
    const before = await countRows()
    const refused = await me.api.delete(`/api/v1/providers/${connection.id}`)
    expect(refused.status).toBe(409)
    expect(refused.body.errors[0].code).toBe('still_linked')
    expect(refused.body.detail).toBe(
      `The openai connection OpenAI is still attached to ${me.username}/another, ${me.username}/${me.name}; detach it first`,
    )
    expect(await countRows()).toEqual(before)

    // Deleting an environment takes its attachment with it.
    expect((await me.api.delete(`/api/v1/environments/${me.username}/another`)).status).toBe(204)
    await me.api.delete(`${me.base}/providers/${connection.id}`)
    const deleted = await me.api.delete(`/api/v1/providers/${connection.id}`)
    expect(deleted.status).toBe(204)
    expect((await me.api.get('/api/v1/providers')).body.data).toEqual([])
    const rows = await server.sql(
      engine === 'postgres'
        ? 'select count(*) as n from provider_key_versions where connection_id = $1'
        : 'select count(*) as n from provider_key_versions where connection_id = ?',
      [connection.id],
    )
    expect(Number(rows[0]!.n)).toBe(0)
  })

  it.each([
    [
      { provider: 'gemini', apiKey: KEY },
      'invalid',
      'body.provider',
      /use one of anthropic, openai, openrouter, venice, custom/,
    ],
    [{ provider: 'custom', apiKey: KEY }, 'invalid', 'body.baseUrl', /needs `baseUrl`/],
    [
      { provider: 'custom', apiKey: KEY, baseUrl: 'file:///etc/passwd' },
      'invalid',
      'body.baseUrl',
      /http or https/,
    ],
    [
      { provider: 'custom', apiKey: KEY, baseUrl: 'javascript:alert(1)' },
      'invalid',
      'body.baseUrl',
      /http or https/,
    ],
    [
      { provider: 'custom', apiKey: KEY, baseUrl: 'not a url' },
      'invalid',
      'body.baseUrl',
      /not a valid/,
    ],
    [
      { provider: 'custom', apiKey: KEY, baseUrl: 'http://user:pw@example.com/v1' },
      'invalid',
      'body.baseUrl',
      /credentials/,
    ],
    [
      { provider: 'openai', apiKey: KEY, baseUrl: 'https://example.com/v1' },
      'invalid',
      'body.baseUrl',
      /only for custom/,
    ],
    [{ provider: 'openai', apiKey: '' }, 'invalid_value', 'body.apiKey', /empty/],
    [
      { provider: 'openai', apiKey: 'sk-with\nnewline' },
      'invalid_value',
      'body.apiKey',
      /one line/,
    ],
    [{ provider: 'openai', apiKey: KEY, label: '' }, 'invalid', 'body.label', /1 to 100/],
    [
      { provider: 'openai', apiKey: KEY, apikey: 'typo' },
      'invalid',
      'body.apikey',
      /Unknown field body.apikey/,
    ],
    [{ provider: 'openai' }, 'invalid', 'body.apiKey', /body.apiKey is required/],
  ])('refuses %j with 422, writing nothing', async (input, code, param, details) => {
    const me = await freshUser()
    const before = await countRows()
    const reply = await me.api.post('/api/v1/providers', input)
    expect(reply.status, reply.text).toBe(422)
    expect(reply.body.errors[0]).toMatchObject({ code, param })
    expect(reply.body.detail).toMatch(details)
    expect(reply.text).not.toContain(KEY)
    expect(reply.text).not.toContain('/etc/passwd')
    expect(await countRows()).toEqual(before)
  })

  it('refuses a bad PATCH without changing the connection', async () => {
    const me = await freshUser()
    const openai = await connect(me.api, { provider: 'openai' })
    const custom = await connect(me.api, { provider: 'custom', baseUrl: `${fake.url}/custom/v1` })
    const before = await countRows()
    for (const [id, body, param] of [
      [openai.id, { baseUrl: 'https://example.com/v1' }, 'body.baseUrl'],
      [custom.id, { baseUrl: 'file:///etc/passwd' }, 'body.baseUrl'],
      [custom.id, { apiKey: 'two words' }, 'body.apiKey'],
    ] as const) {
      const reply = await me.api.patch(`/api/v1/providers/${id}`, body)
      expect(reply.status, reply.text).toBe(422)
      expect(reply.body.errors[0].param).toBe(param)
    }
    expect(await countRows()).toEqual(before)
    const missing = await me.api.post('/api/v1/providers/c000000000000000000000000/test')
    expect(missing.status).toBe(404)
  })
})
