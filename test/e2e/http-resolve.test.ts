// Resolve through HTTP (SPEC.md §3.7, §1 "Requirements", "Runtime tokens and sync"): values of
// every entry kind with their sources, requirements from the request or stored, 422 per missing
// key, Cache-Control, audit with names only, consumers and sync, never a stale revision, integrity
// failures, and concurrent resolves sharing group commits without losing an audit event.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()

describe.each(engines)('resolve over HTTP (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  const sentinel = () => `sentinel-${randomBytes(12).toString('hex')}`

  /** A user with a personal environment holding a variable, a direct and a linked secret. */
  const withEntries = async () => {
    const user = await newUser(api, admin, 'res')
    const me = api.as(user.token)
    const name = uniqueName('app')
    const created = await me.post('/api/v1/environments', { owner: user.username, name })
    expect(created.status, created.text).toBe(201)
    const base = `/api/v1/environments/${user.username}/${name}`
    const values = { direct: sentinel(), linked: sentinel(), variable: 'plain config' }
    const direct = await me.post(`${base}/secrets`, {
      name: 'DIRECT_KEY',
      value: `${values.direct}\nsecond line`,
    })
    expect(direct.status, direct.text).toBe(201)
    const global = await me.post('/api/v1/secrets', { name: 'LINKED_KEY', value: values.linked })
    expect(global.status, global.text).toBe(200)
    const linked = await me.post(`${base}/links`, { secretId: global.body.data.id })
    expect(linked.status, linked.text).toBe(201)
    const variable = await me.post(`${base}/variables`, { name: 'MODE', value: values.variable })
    expect(variable.status, variable.text).toBe(201)
    return {
      ...user,
      me,
      base,
      envName: name,
      envId: created.body.data.id as string,
      values,
      globalId: global.body.data.id as string,
      directId: direct.body.data.id as string,
      variableId: variable.body.data.id as string,
    }
  }
  const runtimeToken = async (me: Api, base: string, name = 'ci') => {
    const created = await me.post(`${base}/tokens`, { name })
    expect(created.status, created.text).toBe(201)
    return created.body.data as { id: string; token: string }
  }
  const revisionOf = async (me: Api, base: string) => (await me.get(base)).body.data.revision

  it('returns every entry with its source, the revision, and Cache-Control: no-store', async () => {
    const env = await withEntries()
    const token = await runtimeToken(env.me, env.base)
    for (const caller of [env.me, api.as(token.token)]) {
      const reply = await caller.post(`${env.base}/resolve`, {})
      expect(reply.status, reply.text).toBe(200)
      expect(reply.headers.get('cache-control')).toBe('no-store')
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
      expect(reply.body).toEqual({
        status: 'success',
        data: {
          revision: await revisionOf(env.me, env.base),
          values: {
            DIRECT_KEY: `${env.values.direct}\nsecond line`,
            LINKED_KEY: env.values.linked,
            MODE: 'plain config',
          },
          sources: { DIRECT_KEY: 'direct', LINKED_KEY: 'linked', MODE: 'variable' },
        },
      })
    }
    // Without a body at all, too.
    const bare = await api.as(token.token).request('POST', `${env.base}/resolve`)
    expect(bare.status, bare.text).toBe(200)
    expect(Object.keys(bare.body.data.values)).toEqual(['DIRECT_KEY', 'LINKED_KEY', 'MODE'])
  })

  it('resolves an empty environment to nothing', async () => {
    const user = await newUser(api, admin, 'res')
    const me = api.as(user.token)
    const name = uniqueName('empty')
    expect((await me.post('/api/v1/environments', { owner: user.username, name })).status).toBe(201)
    const reply = await me.post(`/api/v1/environments/${user.username}/${name}/resolve`)
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.data).toEqual({ revision: 1, values: {}, sources: {} })
  })

  it('never serves a stale revision: every change shows in the next resolve', async () => {
    const env = await withEntries()
    const token = api.as((await runtimeToken(env.me, env.base)).token)
    const resolve = async () => (await token.post(`${env.base}/resolve`, {})).body.data
    const first = await resolve()
    expect(first.values.MODE).toBe('plain config')

    expect(
      (await env.me.patch(`${env.base}/variables/${env.variableId}`, { value: 'v2' })).status,
    ).toBe(200)
    const second = await resolve()
    expect(second.revision).toBeGreaterThan(first.revision)
    expect(second.values.MODE).toBe('v2')

    // A linked global secret's new value moves the environment's revision too.
    const newLinked = sentinel()
    const patched = await env.me.patch(`/api/v1/secrets/${env.globalId}`, { value: newLinked })
    expect(patched.status, patched.text).toBe(200)
    const third = await resolve()
    expect(third.revision).toBeGreaterThan(second.revision)
    expect(third.values.LINKED_KEY).toBe(newLinked)

    // …and so does renaming it.
    expect(
      (await env.me.patch(`/api/v1/secrets/${env.globalId}`, { name: 'RENAMED_KEY' })).status,
    ).toBe(200)
    const fourth = await resolve()
    expect(fourth.values.RENAMED_KEY).toBe(newLinked)
    expect(fourth.values.LINKED_KEY).toBeUndefined()

    expect((await env.me.delete(`${env.base}/secrets/${env.directId}`)).status).toBe(204)
    const fifth = await resolve()
    expect(fifth.values.DIRECT_KEY).toBeUndefined()
    expect(fifth.revision).toBe(await revisionOf(env.me, env.base))
  })

  it('returns only declared keys and names every missing required key', async () => {
    const env = await withEntries()
    const declared = await env.me.post(`${env.base}/resolve`, {
      requirements: {
        secrets: [{ key: 'DIRECT_KEY' }, { key: 'MODE' }, { key: 'NOT_SET', optional: true }],
      },
    })
    expect(declared.status, declared.text).toBe(200)
    expect(declared.body.data.values).toEqual({
      DIRECT_KEY: `${env.values.direct}\nsecond line`,
      MODE: 'plain config',
    })
    expect(declared.body.data.sources).toEqual({ DIRECT_KEY: 'direct', MODE: 'variable' })

    const missing = await env.me.post(`${env.base}/resolve`, {
      requirements: {
        secrets: [{ key: 'MODE' }, { key: 'FIRST_MISSING' }, { key: 'SECOND_MISSING' }],
      },
    })
    expect(missing.status, missing.text).toBe(422)
    expect(
      missing.body.errors.map((e: { param: string; code: string }) => [e.param, e.code]),
    ).toEqual([
      ['requirements.FIRST_MISSING', 'missing_required'],
      ['requirements.SECOND_MISSING', 'missing_required'],
    ])
    expect(missing.body.detail).toBe(missing.body.errors[0].details)
    expect(missing.text).not.toContain(env.values.direct)
  })

  it('refuses malformed requirements with 422 naming the field', async () => {
    const env = await withEntries()
    for (const [requirements, param] of [
      [{ secrets: [{ key: 'lower_case' }] }, 'body.requirements.secrets.0.key'],
      [{ secrets: [{ key: 'A_KEY' }, { key: 'A_KEY' }] }, 'body.requirements.secrets.1.key'],
      [{ secrets: [{ key: 'COFFER_X' }] }, 'body.requirements.secrets.0.key'],
      [{ secrets: [{ key: 'A_KEY', optionl: true }] }, 'body.requirements.secrets.0'],
    ] as const) {
      const reply = await env.me.post(`${env.base}/resolve`, { requirements })
      expect(reply.status, reply.text).toBe(422)
      expect(reply.body.errors[0].param).toContain(param)
    }
    const typo = await env.me.post(`${env.base}/resolve`, { requirement: {} })
    expect(typo.status).toBe(422)
  })

  it('applies stored requirements when the request brings none, and request ones over them', async () => {
    const env = await withEntries()
    const stored = JSON.stringify({ secrets: [{ key: 'MODE', optional: false }] })
    // PUT …/requirements belongs to another part; the stored form is what it writes (and it
    // moves the revision, as any change that can alter resolve does).
    await server.sql(
      engine === 'sqlite'
        ? 'update environments set requirements = ?, revision = revision + 1 where id = ?'
        : 'update environments set requirements = $1, revision = revision + 1 where id = $2',
      [stored, env.envId],
    )
    const reply = await env.me.post(`${env.base}/resolve`, {})
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.data.values).toEqual({ MODE: 'plain config' })
    const replaced = await env.me.post(`${env.base}/resolve`, {
      requirements: { secrets: [{ key: 'LINKED_KEY' }] },
    })
    expect(replaced.body.data.values).toEqual({ LINKED_KEY: env.values.linked })

    const missingStored = JSON.stringify({ secrets: [{ key: 'ABSENT', optional: false }] })
    await server.sql(
      engine === 'sqlite'
        ? 'update environments set requirements = ?, revision = revision + 1 where id = ?'
        : 'update environments set requirements = $1, revision = revision + 1 where id = $2',
      [missingStored, env.envId],
    )
    const refused = await env.me.post(`${env.base}/resolve`, {})
    expect(refused.status).toBe(422)
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ code: 'missing_required', param: 'requirements.ABSENT' }),
    ])
    const status = await env.me.get(`${env.base}/status`)
    expect(status.body.data.missingRequired).toEqual(['ABSENT'])
    expect(status.body.data.requirements).toEqual({
      secrets: [{ key: 'ABSENT', optional: false }],
    })
  })

  it('audits each resolve with names only, and records the consumer', async () => {
    const env = await withEntries()
    const token = await runtimeToken(env.me, env.base, 'deployer')
    const reply = await api.as(token.token).post(`${env.base}/resolve`, {})
    expect(reply.status).toBe(200)
    const audit = await env.me.get(`/api/v1/audit?owner=${env.username}&action=env.resolve`)
    expect(audit.status, audit.text).toBe(200)
    const [event] = audit.body.data
    expect(event).toMatchObject({
      action: 'env.resolve',
      actor: { kind: 'runtime', id: token.id, name: 'deployer' },
      outcome: 'success',
      target: {
        environmentId: env.envId,
        environment: `${env.username}/${env.envName}`,
        names: ['DIRECT_KEY', 'LINKED_KEY', 'MODE'],
        revision: reply.body.data.revision,
      },
    })
    expect(audit.text).not.toContain(env.values.direct)
    expect(audit.text).not.toContain(env.values.linked)
    expect(server.log()).not.toContain(env.values.direct)

    const tokens = await env.me.get(`${env.base}/tokens`)
    expect(tokens.body.data[0]).toMatchObject({
      id: token.id,
      lastResolvedRevision: reply.body.data.revision,
    })
    expect(tokens.body.data[0].lastUsedAt).not.toBeNull()
    const status = await env.me.get(`${env.base}/status`)
    expect(status.status, status.text).toBe(200)
    expect(status.body.data).toMatchObject({
      revision: reply.body.data.revision,
      requirements: { secrets: [] },
      missingRequired: [],
      consumers: [
        {
          kind: 'runtime',
          id: token.id,
          name: 'deployer',
          lastResolvedRevision: reply.body.data.revision,
          synced: true,
        },
      ],
    })
  })

  it('reports sync per entry in listings and per consumer in status', async () => {
    const env = await withEntries()
    const syncedOf = async () => {
      const secrets = (await env.me.get(`${env.base}/secrets`)).body.data
      const variables = (await env.me.get(`${env.base}/variables`)).body.data
      return Object.fromEntries(
        [...secrets, ...variables].map((item: { name: string; synced: boolean | null }) => [
          item.name,
          item.synced,
        ]),
      )
    }
    expect(await syncedOf()).toEqual({ DIRECT_KEY: null, LINKED_KEY: null, MODE: null })
    const token = await runtimeToken(env.me, env.base)
    expect((await api.as(token.token).post(`${env.base}/resolve`)).status).toBe(200)
    expect(await syncedOf()).toEqual({ DIRECT_KEY: true, LINKED_KEY: true, MODE: true })

    expect(
      (await env.me.patch(`${env.base}/variables/${env.variableId}`, { value: 'v3' })).status,
    ).toBe(200)
    expect(await syncedOf()).toEqual({ DIRECT_KEY: true, LINKED_KEY: true, MODE: false })
    const status = await env.me.get(`${env.base}/status`)
    expect(status.body.data.consumers.map((c: { synced: boolean }) => c.synced)).toEqual([false])

    // The user resolves the new revision; the token has not: still not synced for MODE.
    expect((await env.me.post(`${env.base}/resolve`)).status).toBe(200)
    expect(await syncedOf()).toEqual({ DIRECT_KEY: true, LINKED_KEY: true, MODE: false })
    expect((await api.as(token.token).post(`${env.base}/resolve`)).status).toBe(200)
    expect(await syncedOf()).toEqual({ DIRECT_KEY: true, LINKED_KEY: true, MODE: true })
    const after = await env.me.get(`${env.base}/status`)
    expect(
      after.body.data.consumers.map((c: { kind: string; synced: boolean }) => [c.kind, c.synced]),
    ).toEqual(
      expect.arrayContaining([
        ['runtime', true],
        ['user', true],
      ]),
    )
  })

  it('loses no audit event when many resolves share group commits', async () => {
    const env = await withEntries()
    const token = api.as((await runtimeToken(env.me, env.base)).token)
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? token : env.me).post(`${env.base}/resolve`, {}),
      ),
    )
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200))
    const audit = await env.me.get(
      `/api/v1/audit?owner=${env.username}&action=env.resolve&limit=200`,
    )
    expect(audit.body.data).toHaveLength(40)
    const seqs = audit.body.data.map((event: { seq: number }) => event.seq)
    expect(new Set(seqs).size).toBe(40)
  })

  it('answers 500 integrity_error for a tampered ciphertext and audits the failure', async () => {
    const env = await withEntries()
    const table = 'direct_secret_versions'
    const rows = await server.sql(
      `select ciphertext from ${table} where secret_id = ${engine === 'sqlite' ? '?' : '$1'}`,
      [env.directId],
    )
    const ciphertext = Buffer.from(rows[0]!.ciphertext as Uint8Array)
    ciphertext.writeUInt8(ciphertext.readUInt8(ciphertext.length - 1) ^ 1, ciphertext.length - 1)
    await server.sql(
      engine === 'sqlite'
        ? `update ${table} set ciphertext = ? where secret_id = ?`
        : `update ${table} set ciphertext = $1 where secret_id = $2`,
      [ciphertext, env.directId],
    )
    const reply = await env.me.post(`${env.base}/resolve`, {}, { allow5xx: true })
    expect(reply.status).toBe(500)
    expect(reply.body.errors[0].code).toBe('integrity_error')
    expect(reply.text).not.toContain(env.values.direct)
    const audit = await env.me.get(`/api/v1/audit?owner=${env.username}&action=integrity.failure`)
    expect(audit.body.data).toHaveLength(1)
  })

  it('injects attached provider connections (key, and base URL for custom) with source provider', async () => {
    const env = await withEntries()
    const key = `sk-${randomBytes(16).toString('hex')}`
    const connected = await env.me.post('/api/v1/providers', {
      provider: 'custom',
      apiKey: key,
      baseUrl: 'https://llm.example.test/v1',
    })
    expect(connected.status, connected.text).toBe(201)
    const attached = await env.me.post(`${env.base}/providers`, {
      connectionId: connected.body.data.id,
    })
    expect(attached.status, attached.text).toBe(201)
    const reply = await env.me.post(`${env.base}/resolve`, {})
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.data.values).toMatchObject({
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: 'https://llm.example.test/v1',
      MODE: 'plain config',
    })
    expect(reply.body.data.sources).toMatchObject({
      OPENAI_API_KEY: 'provider',
      OPENAI_BASE_URL: 'provider',
      DIRECT_KEY: 'direct',
    })
  })

  it('refuses viewers and answers 404 for environments of others', async () => {
    const env = await withEntries()
    const other = await newUser(api, admin, 'res')
    const reply = await api.as(other.token).post(`${env.base}/resolve`, {})
    expect(reply.status).toBe(404)
    expect(reply.text).not.toContain(env.values.direct)
  })
})
