// `.env` import over HTTP (SPEC.md §3.6): dotenv's own syntax (quotes, multi-line, `export`,
// comments, CRLF, duplicate keys), the three conflict modes, one revision per import, and refused
// input that writes nothing at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const SENTINEL = 'sentinel-import-value-5b1c9e'

describe.each(engines)('.env import over HTTP (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(async () => {
    // Security: no imported value reaches the log.
    expect(server.log()).not.toContain(SENTINEL)
    await server.stop()
  })

  const withEnvironment = async (owner?: { username: string; token: string }) => {
    const user = owner ?? (await newUser(api, admin, 'imp'))
    const me = api.as(user.token)
    const name = uniqueName('app')
    const created = await me.post('/api/v1/environments', { owner: user.username, name })
    expect(created.status, created.text).toBe(201)
    const base = `/api/v1/environments/${user.username}/${name}`
    return { ...user, me, name, base, envId: created.body.data.id as string }
  }
  const revisionOf = async (me: Api, base: string) =>
    (await me.get(base)).body.data.revision as number
  const ENTRY_TABLES = [
    'direct_secrets',
    'direct_secret_versions',
    'variables',
    'environment_links',
    'environment_names',
  ]
  const countEntries = async () => {
    const counts: Record<string, number> = {}
    for (const table of ENTRY_TABLES) {
      counts[table] = Number((await server.sql(`select count(*) as n from ${table}`))[0]!.n)
    }
    return counts
  }
  const resolveNames = async (me: Api, base: string) => {
    const secrets = await me.get(`${base}/secrets?limit=200`)
    const variables = await me.get(`${base}/variables?limit=200`)
    return {
      secrets: secrets.body.data as { name: string; version: number; type: string }[],
      variables: variables.body.data as { name: string; value: string }[],
    }
  }

  it('imports dotenv syntax as direct secrets: quotes, multi-line, export, comments, CRLF', async () => {
    const { me, base } = await withEnvironment()
    const before = await revisionOf(me, base)
    const content = [
      '# a comment',
      'PLAIN=plain-value',
      'export EXPORTED=exported-value',
      `SINGLE='single quoted # not a comment'`,
      'DOUBLE="double\\nquoted"',
      'MULTI="line one',
      'line two"',
      `SECRET_SENTINEL=${SENTINEL}`,
      'INLINE=value # trailing comment',
      '',
    ].join('\r\n')
    const reply = await me.post(`${base}/import`, {
      content,
      format: 'dotenv',
      as: 'secret',
      onConflict: 'fail',
    })
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.data).toEqual({
      created: ['PLAIN', 'EXPORTED', 'SINGLE', 'DOUBLE', 'MULTI', 'SECRET_SENTINEL', 'INLINE'],
      updated: [],
      skipped: [],
      duplicates: [],
    })
    expect(reply.text).not.toContain(SENTINEL)
    const { secrets } = await resolveNames(me, base)
    expect(secrets.map((s) => [s.name, s.type, s.version]).sort()).toEqual(
      [
        ['DOUBLE', 'direct', 1],
        ['EXPORTED', 'direct', 1],
        ['INLINE', 'direct', 1],
        ['MULTI', 'direct', 1],
        ['PLAIN', 'direct', 1],
        ['SECRET_SENTINEL', 'direct', 1],
        ['SINGLE', 'direct', 1],
      ].sort(),
    )
    // One revision for the whole import.
    expect(await revisionOf(me, base)).toBe(before + 1)
    // Values as dotenv reads them, checked through variables (their values are visible).
    const vars = await withEnvironment()
    const asVariables = await vars.me.post(`${vars.base}/import`, {
      content,
      as: 'variable',
    })
    expect(asVariables.status, asVariables.text).toBe(200)
    const { variables } = await resolveNames(vars.me, vars.base)
    const values = Object.fromEntries(variables.map((v) => [v.name, v.value]))
    expect(values).toEqual({
      PLAIN: 'plain-value',
      EXPORTED: 'exported-value',
      SINGLE: 'single quoted # not a comment',
      DOUBLE: 'double\nquoted',
      MULTI: 'line one\nline two', // dotenv reads CRLF as LF
      SECRET_SENTINEL: SENTINEL,
      INLINE: 'value',
    })
  })

  it('reports keys defined twice: the last definition wins', async () => {
    const { me, base } = await withEnvironment()
    const reply = await me.post(`${base}/import`, {
      content: 'A=first\nB=b\nA=second\n',
      as: 'variable',
    })
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.data.duplicates).toEqual([{ name: 'A', lines: [1, 3] }])
    expect(reply.body.data.created).toEqual(['B', 'A'])
    const { variables } = await resolveNames(me, base)
    expect(variables.find((v) => v.name === 'A')?.value).toBe('second')
  })

  it('skips, overwrites or refuses existing names as asked', async () => {
    const { me, base } = await withEnvironment()
    await me.post(`${base}/secrets`, { name: 'DIRECT', value: 'old-direct' })
    await me.post(`${base}/variables`, { name: 'VAR', value: 'old-var' })
    const global = await me.post('/api/v1/secrets', { name: 'LINKED', value: 'global-value' })
    expect((await me.post(`${base}/links`, { secretId: global.body.data.id })).status).toBe(201)

    // fail: every conflicting name listed, nothing written.
    const counts = await countEntries()
    let revision = await revisionOf(me, base)
    const content = 'DIRECT=new\nVAR=new\nLINKED=new\nFRESH=new\n'
    const fail = await me.post(`${base}/import`, { content, as: 'secret', onConflict: 'fail' })
    expect(fail.status).toBe(409)
    expect(fail.body.errors.map((e: { details: string }) => e.details)).toEqual([
      'A direct secret with the name DIRECT already exists',
      'An environment variable with the name VAR already exists',
      'A linked global secret with the name LINKED already exists',
    ])
    expect(fail.body.errors.every((e: { code: string }) => e.code === 'name_conflict')).toBe(true)
    expect(await countEntries()).toEqual(counts)
    expect(await revisionOf(me, base)).toBe(revision)

    // skip: only the fresh name is created.
    const skip = await me.post(`${base}/import`, { content, as: 'secret', onConflict: 'skip' })
    expect(skip.status, skip.text).toBe(200)
    expect(skip.body.data).toMatchObject({
      created: ['FRESH'],
      updated: [],
      skipped: ['DIRECT', 'VAR', 'LINKED'],
    })
    expect(await revisionOf(me, base)).toBe(revision + 1)
    revision += 1

    // overwrite: another kind's name is still a 409, and nothing is written.
    const counts2 = await countEntries()
    const cross = await me.post(`${base}/import`, {
      content: 'DIRECT=newer\nVAR=newer\n',
      as: 'secret',
      onConflict: 'overwrite',
    })
    expect(cross.status).toBe(409)
    expect(cross.body.errors).toHaveLength(1)
    expect(cross.body.errors[0].details).toBe(
      'An environment variable with the name VAR already exists',
    )
    expect(await countEntries()).toEqual(counts2)

    // overwrite of the same kind: a new version for direct secrets, one revision.
    const over = await me.post(`${base}/import`, {
      content: 'DIRECT=newer\nFRESH=newer\nBRAND_NEW=x\n',
      as: 'secret',
      onConflict: 'overwrite',
    })
    expect(over.status, over.text).toBe(200)
    expect(over.body.data).toMatchObject({
      created: ['BRAND_NEW'],
      updated: ['DIRECT', 'FRESH'],
      skipped: [],
    })
    expect(await revisionOf(me, base)).toBe(revision + 1)
    const { secrets } = await resolveNames(me, base)
    expect(secrets.find((s) => s.name === 'DIRECT')?.version).toBe(2)
    expect(secrets.find((s) => s.name === 'FRESH')?.version).toBe(2)
    const versions = await me.get(
      `${base}/secrets/${(await me.get(`${base}/secrets`)).body.data.find((s: { name: string }) => s.name === 'DIRECT').id as string}/versions`,
    )
    expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([2, 1])

    // overwrite of variables: new values; the same value again changes nothing.
    const vars = await me.post(`${base}/import`, {
      content: 'VAR=newest\n',
      as: 'variable',
      onConflict: 'overwrite',
    })
    expect(vars.status, vars.text).toBe(200)
    expect(vars.body.data.updated).toEqual(['VAR'])
    const afterVars = await revisionOf(me, base)
    expect(afterVars).toBe(revision + 2)
    const { variables } = await resolveNames(me, base)
    expect(variables.find((v) => v.name === 'VAR')?.value).toBe('newest')
    const same = await me.post(`${base}/import`, {
      content: 'VAR=newest\n',
      as: 'variable',
      onConflict: 'overwrite',
    })
    expect(same.status).toBe(200)
    expect(await revisionOf(me, base)).toBe(afterVars)
  })

  it('refuses bad input with a 4xx and writes nothing', async () => {
    const { me, base } = await withEnvironment()
    await me.post(`${base}/variables`, { name: 'TAKEN', value: 'x' })
    const revision = await revisionOf(me, base)
    const big = 'x'.repeat(65_537)
    const cases: [string, unknown, number, RegExp | string][] = [
      [
        'invalid names, one error per line',
        { content: 'GOOD=1\nlower=2\nCOFFER_X=3\n9BAD=4\n' },
        422,
        /line 2/,
      ],
      ['binary garbage', { content: 'A=1\n\u0000\u0001\u0002\u0003\n' }, 422, /binary/],
      ['an empty file', { content: '' }, 422, /no entries/],
      ['only comments', { content: '# nothing\n\n# here\n' }, 422, /no entries/],
      ['unknown format', { content: 'A=1', format: 'yaml' }, 422, 'body.format'],
      ['unknown as', { content: 'A=1', as: 'file' }, 422, 'body.as'],
      ['unknown onConflict', { content: 'A=1', onConflict: 'merge' }, 422, 'body.onConflict'],
      ['an unknown field', { content: 'A=1', contnet: 'x' }, 422, 'body.contnet'],
      ['a missing content', { as: 'secret' }, 422, 'body.content'],
      ['a value over 64 KiB', { content: `A=1\nBIG=${big}\n` }, 413, /line 2 \(BIG\)/],
      ['an empty secret value', { content: 'EMPTY=\n', as: 'secret' }, 422, /line 1 \(EMPTY\)/],
      ['a conflict with fail', { content: 'NEW=1\nTAKEN=2\n', onConflict: 'fail' }, 409, /TAKEN/],
    ]
    const counts = await countEntries()
    for (const [what, body, status, expected] of cases) {
      const reply = await me.post(`${base}/import`, body)
      expect(reply.status, `${what}: ${reply.text}`).toBe(status)
      expect(reply.body.detail).toBe(reply.body.errors[0].details)
      if (typeof expected === 'string')
        expect(reply.body.errors.map((e: { param: string }) => e.param)).toContain(expected)
      else expect(reply.body.detail, what).toMatch(expected)
      expect(reply.text).not.toContain(big)
      expect(await countEntries(), what).toEqual(counts)
    }
    const names = await me.post(`${base}/import`, { content: 'GOOD=1\nlower=2\nCOFFER_X=3\n' })
    expect(names.body.errors.map((e: { details: string }) => e.details.split(':')[0])).toEqual([
      'line 2',
      'line 3',
    ])
    const tooBig = await me.post(`${base}/import`, { content: `A=${'y'.repeat(1_100_000)}` })
    expect(tooBig.status).toBe(413)
    expect(await countEntries()).toEqual(counts)
    expect(await revisionOf(me, base)).toBe(revision)
  })

  it('needs a member: viewers get 403, outsiders 404, and nothing is written', async () => {
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
    const path = `/api/v1/environments/${slug}/prod/import`
    const counts = await countEntries()
    expect((await api.as(viewer.token).post(path, { content: 'A=1' })).status).toBe(403)
    expect((await api.as(outsider.token).post(path, { content: 'A=1' })).status).toBe(404)
    expect((await api.post(path, { content: 'A=1' })).status).toBe(401)
    expect(await countEntries()).toEqual(counts)
    expect((await leadApi.post(path, { content: 'A=1' })).status).toBe(200)
  })

  it('audits one env.import event with names, never values', async () => {
    const { me, base, username } = await withEnvironment()
    const reply = await me.post(`${base}/import`, {
      content: `ONE=${SENTINEL}\nTWO=${SENTINEL}-2\n`,
      as: 'secret',
    })
    expect(reply.status).toBe(200)
    const audit = await me.get(`/api/v1/audit?owner=${username}&action=env.import`)
    expect(audit.body.data).toHaveLength(1)
    expect(audit.body.data[0].target).toMatchObject({
      as: 'secret',
      onConflict: 'fail',
      created: ['ONE', 'TWO'],
    })
    expect(audit.text).not.toContain(SENTINEL)
  })

  it('keeps one name space under concurrent imports and single writes', async () => {
    const { me, base } = await withEnvironment()
    const attempts = await Promise.all([
      me.post(`${base}/import`, { content: 'RACE=1\nOTHER_A=1\n' }),
      me.post(`${base}/import`, { content: 'RACE=2\nOTHER_B=1\n', as: 'variable' }),
      me.post(`${base}/secrets`, { name: 'RACE', value: '3' }),
      me.post(`${base}/variables`, { name: 'RACE', value: '4' }),
    ])
    const statuses = attempts.map((a) => a.status)
    expect(statuses.filter((s) => s === 200 || s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(3)
    const claims = await server.sql(
      `select count(*) as n from environment_names where name = 'RACE'`,
    )
    expect(Number(claims[0]!.n)).toBe(1)
  })
})
