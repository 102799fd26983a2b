// An environment's stored requirements over HTTP (SPEC.md §1 "Requirements", §3.6): JSON or the
// YAML of a coffer.yaml / app.yaml, validated with line numbers; the revision moves only when the
// stored value changes; viewers read, members write; YAML is accepted on this route only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()

const COFFER_YAML = `environment: acme/support-agent
requirements:
  secrets:
    - key: OPENAI_API_KEY
      description: For GPT-4 API calls
    - key: DATABASE_URL
      description: PostgreSQL connection string
      optional: true
`

const APP_YAML_WITHOUT = `name: my-app
version: 1.0.0
resources:
  gpu: none
`

describe.each(engines)('environment requirements over HTTP (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  const withEnvironment = async () => {
    const user = await newUser(api, admin, 'req')
    const me = api.as(user.token)
    const name = uniqueName('app')
    const created = await me.post('/api/v1/environments', { owner: user.username, name })
    expect(created.status, created.text).toBe(201)
    const base = `/api/v1/environments/${user.username}/${name}`
    return { ...user, me, name, base }
  }
  const revisionOf = async (me: Api, base: string) =>
    (await me.get(base)).body.data.revision as number
  const putYaml = (me: Api, base: string, text: string, type = 'application/yaml') =>
    me.put(`${base}/requirements`, undefined, { raw: text, headers: { 'content-type': type } })
  const storedOf = async (base: string) => {
    const rows = await server.sql(
      `select requirements from environments where id = (select id from environments where name = ${server.engine === 'sqlite' ? '?' : '$1'})`,
      [base.split('/').at(-1)],
    )
    return rows[0]?.requirements ?? null
  }

  it('answers an empty list before anything is stored', async () => {
    const { me, base } = await withEnvironment()
    const got = await me.get(`${base}/requirements`)
    expect(got.status, got.text).toBe(200)
    expect(got.body).toEqual({ data: { secrets: [] }, status: 'success' })
  })

  it('stores JSON requirements, returns them, and moves the revision only on a change', async () => {
    const { me, base } = await withEnvironment()
    const before = await revisionOf(me, base)
    const secrets = [
      { key: 'OPENAI_API_KEY', description: 'For GPT-4 API calls' },
      { key: 'DATABASE_URL', optional: true },
    ]
    const put = await me.put(`${base}/requirements`, { secrets })
    expect(put.status, put.text).toBe(200)
    const expected = [
      { key: 'OPENAI_API_KEY', description: 'For GPT-4 API calls', optional: false },
      { key: 'DATABASE_URL', optional: true },
    ]
    expect(put.body.data).toEqual({ secrets: expected })
    expect((await me.get(`${base}/requirements`)).body.data).toEqual({ secrets: expected })
    const after = await revisionOf(me, base)
    expect(after).toBeGreaterThan(before)

    // The same requirements again: nothing changes, the revision stays.
    expect((await me.put(`${base}/requirements`, { secrets })).status).toBe(200)
    expect(await revisionOf(me, base)).toBe(after)

    // An empty list clears them (and that is a change).
    const cleared = await me.put(`${base}/requirements`, { secrets: [] })
    expect(cleared.body.data).toEqual({ secrets: [] })
    expect(await revisionOf(me, base)).toBeGreaterThan(after)
    expect(await storedOf(base)).toBeNull()
  })

  it('moves the revision once when the same requirements arrive concurrently', async () => {
    const { me, base } = await withEnvironment()
    const before = await revisionOf(me, base)
    const body = { secrets: [{ key: 'SAME' }] }
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => me.put(`${base}/requirements`, body)),
    )
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(await revisionOf(me, base)).toBe(before + 1)
  })

  it('accepts the YAML of a coffer.yaml under every YAML media type', async () => {
    for (const type of ['application/yaml', 'text/yaml', 'application/x-yaml; charset=utf-8']) {
      const { me, base } = await withEnvironment()
      const put = await putYaml(me, base, COFFER_YAML, type)
      expect(put.status, `${type}: ${put.text}`).toBe(200)
      expect(put.body.data).toEqual({
        secrets: [
          { key: 'OPENAI_API_KEY', description: 'For GPT-4 API calls', optional: false },
          { key: 'DATABASE_URL', description: 'PostgreSQL connection string', optional: true },
        ],
      })
    }
  })

  it('accepts an app.yaml with requirements and refuses one that declares none', async () => {
    const { me, base } = await withEnvironment()
    const withRequirements = `${APP_YAML_WITHOUT}requirements:\n  secrets:\n    - key: HF_TOKEN\n`
    const ok = await putYaml(me, base, withRequirements)
    expect(ok.status, ok.text).toBe(200)
    expect(ok.body.data.secrets).toEqual([{ key: 'HF_TOKEN', optional: false }])
    const revision = await revisionOf(me, base)

    const none = await putYaml(me, base, APP_YAML_WITHOUT)
    expect(none.status).toBe(422)
    expect(none.body.errors[0].code).toBe('invalid')
    expect(none.body.detail).toMatch(/declares no requirements/)
    expect(await revisionOf(me, base)).toBe(revision)
    expect((await me.get(`${base}/requirements`)).body.data.secrets).toEqual([
      { key: 'HF_TOKEN', optional: false },
    ])
  })

  it('refuses bad YAML with line numbers and changes nothing', async () => {
    const { me, base } = await withEnvironment()
    await me.put(`${base}/requirements`, { secrets: [{ key: 'KEEP_ME' }] })
    const revision = await revisionOf(me, base)
    const stored = await storedOf(base)
    const cases: [string, RegExp][] = [
      ['requirements:\n  secrets:\n    - key: lower_case\n', /line 3/],
      ['requirements:\n  secrets:\n    - key: A\n    - key: A\n', /line 4.*declared twice/],
      ['requirements:\n  secrets:\n    - key: COFFER_X\n', /line 3/],
      ['requirements:\n  secrets:\n    - key: OK\n      colour: red\n', /line 4.*unknown field/],
      ['requirements:\n  secrets: [unclosed\n', /line \d+, column \d+/],
      ['requirements:\n  secrets:\n    - key: A\n      optional: maybe\n', /line 4/],
      ['- just\n- a list\n', /must be a mapping/],
    ]
    for (const [text, details] of cases) {
      const reply = await putYaml(me, base, text)
      expect(reply.status, `${text}: ${reply.text}`).toBe(422)
      expect(reply.body.detail).toBe(reply.body.errors[0].details)
      expect(reply.body.errors[0].details).toMatch(details)
    }
    expect(await revisionOf(me, base)).toBe(revision)
    expect(await storedOf(base)).toBe(stored)
  })

  it('refuses bad JSON requirements naming each field, and changes nothing', async () => {
    const { me, base } = await withEnvironment()
    const revision = await revisionOf(me, base)
    const cases: [unknown, string, string][] = [
      [{ secrets: [{ key: 'lower' }] }, 'body.secrets.0.key', 'invalid'],
      [{ secrets: [{ key: 'COFFER_TOKEN' }] }, 'body.secrets.0.key', 'invalid'],
      [{ secrets: [{ key: 'A' }, { key: 'A' }] }, 'body.secrets.1.key', 'invalid'],
      [{ secrets: [{ key: 'A', optonal: true }] }, 'body.secrets.0.optonal', 'invalid'],
      [{ secrets: [{ key: 'A' }], extra: 1 }, 'body.extra', 'invalid'],
      [{ secret: [] }, 'body.secret', 'invalid'],
      [{ secrets: 'A' }, 'body.secrets', 'invalid'],
    ]
    for (const [body, param, code] of cases) {
      const reply = await me.put(`${base}/requirements`, body)
      expect(reply.status, `${JSON.stringify(body)}: ${reply.text}`).toBe(422)
      expect(reply.body.errors.map((e: { param: string }) => e.param)).toContain(param)
      expect(reply.body.errors[0].code).toBe(code)
    }
    const empty = await me.put(`${base}/requirements`, undefined, {
      headers: { 'content-type': 'application/json' },
    })
    expect(empty.status).toBeGreaterThanOrEqual(400)
    expect(empty.status).toBeLessThan(500)
    expect(await revisionOf(me, base)).toBe(revision)
    expect(await storedOf(base)).toBeNull()
  })

  it('keeps answering 415 for non-JSON bodies everywhere else, and for other types here', async () => {
    const { me, base } = await withEnvironment()
    const yaml = { 'content-type': 'application/yaml' }
    const elsewhere = [
      ['POST', `${base}/variables`],
      ['POST', `${base}/import`],
      ['PATCH', base],
      ['POST', '/api/v1/environments'],
    ] as const
    for (const [method, path] of elsewhere) {
      const reply = await me.request(method, path, undefined, { raw: 'a: 1\n', headers: yaml })
      expect(reply.status, `${method} ${path}`).toBe(415)
      expect(reply.body.errors[0].code).toBe('unsupported_media_type')
    }
    const plain = await me.put(`${base}/requirements`, undefined, {
      raw: COFFER_YAML,
      headers: { 'content-type': 'text/plain' },
    })
    expect(plain.status).toBe(415)
    // GET with a YAML body type is no exception either (only PUT stores requirements).
    const post = await me.post(`${base}/requirements`, undefined, {
      raw: COFFER_YAML,
      headers: yaml,
    })
    expect(post.status).toBe(415)
    expect(await storedOf(base)).toBeNull()
  })

  it('refuses YAML over the body or manifest limit with 413', async () => {
    const { me, base } = await withEnvironment()
    const big = `requirements:\n  secrets:\n${'    - key: A\n      description: x\n'.repeat(40_000)}`
    const reply = await putYaml(me, base, big)
    expect(reply.status).toBe(413)
    expect(reply.body.errors[0].code).toBe('too_large')
    // Under the body limit but over the manifest limit (256 KiB): still 413.
    const large = `requirements:\n  secrets:\n    - key: A\n#${'x'.repeat(300 * 1024)}\n`
    const manifest = await putYaml(me, base, large)
    expect(manifest.status, manifest.text).toBe(413)
    expect(manifest.body.detail).toMatch(/256 KiB/)
    expect(await storedOf(base)).toBeNull()
  })

  it('lets viewers read and only members write; outsiders see nothing', async () => {
    const lead = await newUser(api, admin, 'lead')
    const viewer = await newUser(api, admin, 'viewer')
    const outsider = await newUser(api, admin, 'out')
    const slug = uniqueName('team')
    const leadApi = api.as(lead.token)
    expect((await leadApi.post('/api/v1/teams', { slug })).status).toBe(201)
    await leadApi.post(`/api/v1/teams/${slug}/members`, {
      username: viewer.username,
      role: 'viewer',
    })
    await leadApi.post('/api/v1/environments', { owner: slug, name: 'prod' })
    const base = `/api/v1/environments/${slug}/prod`
    expect((await leadApi.put(`${base}/requirements`, { secrets: [{ key: 'A' }] })).status).toBe(
      200,
    )
    const viewerApi = api.as(viewer.token)
    expect((await viewerApi.get(`${base}/requirements`)).body.data.secrets).toEqual([
      { key: 'A', optional: false },
    ])
    const refused = await putYaml(viewerApi, base, COFFER_YAML)
    expect(refused.status).toBe(403)
    const hidden = await api.as(outsider.token).get(`${base}/requirements`)
    expect(hidden.status).toBe(404)
    expect((await api.get(`${base}/requirements`)).status).toBe(401)
  })

  it('audits env.requirements.set with names only', async () => {
    const { me, base, username, name } = await withEnvironment()
    await putYaml(me, base, COFFER_YAML)
    const audit = await me.get(`/api/v1/audit?owner=${username}&action=env.requirements.set`)
    expect(audit.status, audit.text).toBe(200)
    const [event] = audit.body.data
    expect(event.target).toMatchObject({
      environment: `${username}/${name}`,
      required: ['OPENAI_API_KEY'],
      optional: ['DATABASE_URL'],
      changed: 'yes',
    })
    expect(JSON.stringify(event)).not.toContain('GPT-4')
  })
})
