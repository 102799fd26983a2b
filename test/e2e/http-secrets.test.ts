// Global secrets through HTTP (SPEC.md §1, §3.2): create/list/get/update/delete, versions and
// rollback, write-only values, and bad input refused in the documented shape with nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken, newUser } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const LONG_VALUE = 'sk-live-0123456789abcdefWXYZ'

describe.each(engines)('global secrets over HTTP (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  /** A fresh user per test keeps listings and counts independent. */
  const freshUser = async () => api.as((await newUser(api, admin, 'sec')).token)
  const countRows = async (table: string) =>
    Number((await server.sql(`select count(*) as n from ${table}`))[0]!.n)

  it('creates a secret with the seed-compatible POST /secrets/ and answers 200', async () => {
    const me = await freshUser()
    const reply = await me.post('/api/v1/secrets/', {
      name: 'OPENAI_API_KEY',
      value: LONG_VALUE,
      description: 'GPT calls',
    })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      status: 'success',
      data: {
        id: expect.stringMatching(/^c[a-z0-9]{24}$/),
        name: 'OPENAI_API_KEY',
        description: 'GPT calls',
        isFile: false,
        userId: expect.stringMatching(/^c[a-z0-9]{24}$/),
        teamId: null,
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        hint: '…WXYZ',
      },
    })
    expect(reply.text).not.toContain(LONG_VALUE)
  })

  it('gives a hint only for values of 20 characters or more', async () => {
    const me = await freshUser()
    const short = await me.post('/api/v1/secrets/', { name: 'SHORT', value: '1234567890123456789' })
    const exact = await me.post('/api/v1/secrets/', {
      name: 'EXACT',
      value: '12345678901234567890',
    })
    expect(short.body.data.hint).toBeNull()
    expect(exact.body.data.hint).toBe('…7890')
  })

  it('never returns a value from any management route', async () => {
    const me = await freshUser()
    const sentinel = `never-shown-${Date.now()}-abcdefghij`
    const { body } = await me.post('/api/v1/secrets/', { name: 'WRITE_ONLY', value: sentinel })
    const id = body.data.id as string
    await me.patch(`/api/v1/secrets/${id}`, { value: `${sentinel}-v2` })
    const replies = await Promise.all([
      me.get('/api/v1/secrets/'),
      me.get(`/api/v1/secrets/${id}`),
      me.get(`/api/v1/secrets/${id}/versions`),
      me.get(`/api/v1/secrets/${id}/links`),
      me.post(`/api/v1/secrets/${id}/rollback`, { version: 1 }),
      me.get('/api/v1/audit'),
      me.post('/api/v1/secrets/', { name: 'WRITE_ONLY', value: sentinel }),
    ])
    for (const reply of replies) expect(reply.text).not.toContain(sentinel)
  })

  it('lists personal secrets by name and pages with a cursor', async () => {
    const me = await freshUser()
    for (const name of ['C_KEY', 'A_KEY', 'B_KEY']) {
      expect((await me.post('/api/v1/secrets/', { name, value: 'v' })).status).toBe(200)
    }
    const first = await me.get('/api/v1/secrets/?limit=2')
    expect(first.body.data.map((s: any) => s.name)).toEqual(['A_KEY', 'B_KEY'])
    expect(first.body.meta.nextCursor).toEqual(expect.any(String))
    const second = await me.get(`/api/v1/secrets/?limit=2&cursor=${first.body.meta.nextCursor}`)
    expect(second.body.data.map((s: any) => s.name)).toEqual(['C_KEY'])
    expect(second.body.meta.nextCursor).toBeNull()
  })

  it('keeps names unique per owner (409) but not across owners', async () => {
    const alice = await freshUser()
    const bob = await freshUser()
    expect((await alice.post('/api/v1/secrets/', { name: 'DUP', value: 'a' })).status).toBe(200)
    const again = await alice.post('/api/v1/secrets/', { name: 'DUP', value: 'b' })
    expect(again.status).toBe(409)
    expect(again.body.errors[0]).toMatchObject({ code: 'name_conflict', param: 'body.name' })
    expect(again.body.detail).toContain('DUP')
    expect((await bob.post('/api/v1/secrets/', { name: 'DUP', value: 'c' })).status).toBe(200)
  })

  it('versions every value change, keeps the last 20, and rolls back as a new version', async () => {
    const me = await freshUser()
    const { body } = await me.post('/api/v1/secrets/', {
      name: 'ROTATED',
      value: 'value-number-01-abcdefgh',
    })
    const id = body.data.id as string
    for (let i = 2; i <= 22; i += 1) {
      const reply = await me.patch(`/api/v1/secrets/${id}`, {
        value: `value-number-${String(i).padStart(2, '0')}-abcdefgh`,
      })
      expect(reply.body.data.version).toBe(i)
    }
    const versions = await me.get(`/api/v1/secrets/${id}/versions`)
    expect(versions.body.data).toHaveLength(20)
    expect(versions.body.data[0]).toEqual({
      version: 22,
      createdAt: expect.any(String),
      createdBy: expect.any(String),
      hint: '…efgh',
    })
    expect(versions.body.data.at(-1).version).toBe(3)
    const gone = await me.post(`/api/v1/secrets/${id}/rollback`, { version: 2 })
    expect(gone.status).toBe(404)
    const rolled = await me.post(`/api/v1/secrets/${id}/rollback`, { version: 3 })
    expect(rolled.status).toBe(200)
    expect(rolled.body.data.version).toBe(23)
  })

  it('renames and describes without a new version, and refuses a rename onto a taken name', async () => {
    const me = await freshUser()
    const a = await me.post('/api/v1/secrets/', { name: 'FIRST', value: 'a' })
    await me.post('/api/v1/secrets/', { name: 'SECOND', value: 'b' })
    const renamed = await me.patch(`/api/v1/secrets/${a.body.data.id}`, {
      name: 'THIRD',
      description: 'renamed',
    })
    expect(renamed.body.data).toMatchObject({ name: 'THIRD', description: 'renamed', version: 1 })
    const clash = await me.patch(`/api/v1/secrets/${a.body.data.id}`, { name: 'SECOND' })
    expect(clash.status).toBe(409)
    expect((await me.get(`/api/v1/secrets/${a.body.data.id}`)).body.data.name).toBe('THIRD')
  })

  it('deletes with 204 and an empty body, then answers 404 secret_not_found', async () => {
    const me = await freshUser()
    const { body } = await me.post('/api/v1/secrets/', { name: 'TEMP', value: 'x' })
    const deleted = await me.delete(`/api/v1/secrets/${body.data.id}`)
    expect(deleted.status).toBe(204)
    expect(deleted.text).toBe('')
    const again = await me.get(`/api/v1/secrets/${body.data.id}`)
    expect(again.status).toBe(404)
    expect(again.body.errors[0].code).toBe('secret_not_found')
  })

  it('accepts a matching teamId in the query and ignores it; a mismatched one is 404', async () => {
    const me = await freshUser()
    const team = await me.post('/api/v1/teams', { slug: `t${Date.now().toString(36)}` })
    const created = await me.post('/api/v1/secrets/', {
      name: 'TEAM_KEY',
      value: 'x',
      teamId: team.body.data.id,
    })
    expect(created.body.data).toMatchObject({ teamId: team.body.data.id, userId: null })
    const id = created.body.data.id as string
    expect((await me.get(`/api/v1/secrets/${id}?teamId=${team.body.data.id}`)).status).toBe(200)
    expect((await me.get(`/api/v1/secrets/${id}`)).status).toBe(200)
    const personal = await me.post('/api/v1/secrets/', { name: 'MINE', value: 'x' })
    expect(
      (await me.get(`/api/v1/secrets/${personal.body.data.id}?teamId=${team.body.data.id}`)).status,
    ).toBe(404)
    const teamList = await me.get(`/api/v1/secrets/?teamId=${team.body.data.id}`)
    expect(teamList.body.data.map((s: any) => s.name)).toEqual(['TEAM_KEY'])
  })

  it('stores file secrets as base64 that must decode', async () => {
    const me = await freshUser()
    const file = Buffer.from('-----BEGIN CERT-----\nabc\n-----END CERT-----\n').toString('base64')
    const ok = await me.post('/api/v1/secrets/', { name: 'CERT', value: file, isFile: true })
    expect(ok.body.data.isFile).toBe(true)
    for (const bad of ['not base64!', 'abc', 'YWJj=', 'YW Jj']) {
      const reply = await me.post('/api/v1/secrets/', {
        name: 'BAD_CERT',
        value: bad,
        isFile: true,
      })
      expect(reply.status, bad).toBe(422)
      expect(reply.body.errors[0]).toMatchObject({ code: 'invalid_value', param: 'body.value' })
    }
    const update = await me.patch(`/api/v1/secrets/${ok.body.data.id}`, { value: '***' })
    expect(update.status).toBe(422)
  })

  it('preserves multi-line and unicode values (accepted at exactly 65,536 bytes)', async () => {
    const me = await freshUser()
    expect(
      (await me.post('/api/v1/secrets/', { name: 'MULTI', value: 'line1\nline2\r\n\ttab ✓ 🔑' }))
        .status,
    ).toBe(200)
    expect(
      (await me.post('/api/v1/secrets/', { name: 'MAX', value: 'é'.repeat(32_768) })).status,
    ).toBe(200)
  })

  const rejected: [string, Record<string, unknown>, number, string, string][] = [
    ['a lowercase name', { name: 'api_key', value: 'v' }, 422, 'invalid', 'body.name'],
    ['a name starting with a digit', { name: '1KEY', value: 'v' }, 422, 'invalid', 'body.name'],
    ['a name with a dash', { name: 'API-KEY', value: 'v' }, 422, 'invalid', 'body.name'],
    [
      'a 256-character name',
      { name: `A${'B'.repeat(255)}`, value: 'v' },
      422,
      'invalid',
      'body.name',
    ],
    ['a unicode name', { name: 'KEY_É', value: 'v' }, 422, 'invalid', 'body.name'],
    ['an empty name', { name: '', value: 'v' }, 422, 'invalid', 'body.name'],
    ['a COFFER_ name', { name: 'COFFER_TOKEN', value: 'v' }, 422, 'reserved_name', 'body.name'],
    ['LD_PRELOAD', { name: 'LD_PRELOAD', value: 'v' }, 422, 'reserved_name', 'body.name'],
    [
      'DYLD_INSERT_LIBRARIES',
      { name: 'DYLD_INSERT_LIBRARIES', value: 'v' },
      422,
      'reserved_name',
      'body.name',
    ],
    [
      'a 501-character description',
      { name: 'DESC', value: 'v', description: 'd'.repeat(501) },
      422,
      'invalid',
      'body.description',
    ],
    ['an empty value', { name: 'EMPTY', value: '' }, 422, 'invalid_value', 'body.value'],
    ['a value with NUL', { name: 'NUL', value: 'a\u0000b' }, 422, 'invalid_value', 'body.value'],
    [
      'a value over 64 KiB',
      { name: 'BIG', value: 'x'.repeat(65_537) },
      413,
      'too_large',
      'body.value',
    ],
    [
      'a multi-byte value over 64 KiB',
      { name: 'BIG', value: 'é'.repeat(32_769) },
      413,
      'too_large',
      'body.value',
    ],
    ['a typo in a field name', { name: 'TYPO', vaule: 'v' }, 422, 'invalid', 'body.value'],
    ['an unknown field', { name: 'EXTRA', value: 'v', color: 'red' }, 422, 'invalid', 'body.color'],
    ['a number as value', { name: 'NUM', value: 42 }, 422, 'invalid', 'body.value'],
    [
      'a string as isFile',
      { name: 'FLAG', value: 'v', isFile: 'yes' },
      422,
      'invalid',
      'body.isFile',
    ],
    [
      'a malformed teamId',
      { name: 'T', value: 'v', teamId: 'team-1' },
      422,
      'invalid',
      'body.teamId',
    ],
    [
      'an unknown teamId',
      { name: 'T', value: 'v', teamId: 'c000000000000000000000000' },
      404,
      'not_found',
      'body.teamId',
    ],
    ['an array body', [] as unknown as Record<string, unknown>, 422, 'invalid', 'body'],
  ]

  it.each(rejected)('refuses %s and writes nothing', async (_, payload, status, code, param) => {
    const me = await freshUser()
    const before = await Promise.all([countRows('secrets'), countRows('secret_versions')])
    const reply = await me.post('/api/v1/secrets/', payload)
    expect(reply.status).toBe(status)
    expect(reply.body.detail).toEqual(expect.any(String))
    expect(reply.body.errors.map((e: any) => e.param)).toContain(param)
    expect(reply.body.errors.find((e: any) => e.param === param).code).toBe(code)
    expect(await Promise.all([countRows('secrets'), countRows('secret_versions')])).toEqual(before)
  })

  it('refuses bad updates and leaves the secret as it was', async () => {
    const me = await freshUser()
    const { body } = await me.post('/api/v1/secrets/', {
      name: 'STABLE',
      value: 'original-value-123456',
    })
    const id = body.data.id as string
    for (const patch of [
      { value: '' },
      { name: 'bad name' },
      { value: 'x'.repeat(70_000) },
      { vaule: 'typo' },
      { description: 'd'.repeat(501) },
    ]) {
      expect((await me.patch(`/api/v1/secrets/${id}`, patch)).status).toBeGreaterThanOrEqual(400)
    }
    const after = await me.get(`/api/v1/secrets/${id}`)
    expect(after.body.data).toMatchObject({
      name: 'STABLE',
      version: 1,
      hint: '…3456',
      description: '',
    })
    expect((await me.get(`/api/v1/secrets/${id}/versions`)).body.data).toHaveLength(1)
  })

  it('answers an empty list of links until environments link it', async () => {
    const me = await freshUser()
    const { body } = await me.post('/api/v1/secrets/', { name: 'LINKABLE', value: 'x' })
    const links = await me.get(`/api/v1/secrets/${body.data.id}/links`)
    expect(links.body).toEqual({ data: [], status: 'success' })
  })

  it('stores only ciphertext: the value is nowhere in the database', async () => {
    const me = await freshUser()
    const sentinel = `db-sentinel-${Date.now()}-zyxwvut`
    await me.post('/api/v1/secrets/', { name: 'AT_REST', value: sentinel })
    const rows = await server.sql('select * from secret_versions')
    const dump = JSON.stringify(
      rows.map((row) =>
        Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : v)),
      ),
    )
    expect(dump).not.toContain(sentinel)
    expect(dump).not.toContain(Buffer.from(sentinel).toString('base64'))
  })
})
