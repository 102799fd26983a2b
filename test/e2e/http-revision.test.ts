// The revision long poll through HTTP (SPEC.md §3.7, §5): answers at once when the revision is
// already past `after`, within 100 ms of a committed change, at the timeout with the current
// revision, validates its query, wakes across replicas on one PostgreSQL schema, and lets go of
// waiting clients at shutdown.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { dropSchema, freshSchemaName, reachableTestPostgres } from '../support/postgres.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()

async function withEnvironment(api: Api, admin: string) {
  const user = await newUser(api, admin, 'rev')
  const me = api.as(user.token)
  const name = uniqueName('env')
  const created = await me.post('/api/v1/environments', { owner: user.username, name })
  expect(created.status, created.text).toBe(201)
  const base = `/api/v1/environments/${user.username}/${name}`
  return { ...user, me, base, revision: created.body.data.revision as number }
}

/** Starts a long poll; resolves with its reply and when it arrived. */
function poll(api: Api, path: string) {
  return api.get(path).then((reply) => ({ reply, at: performance.now() }))
}

describe.each(engines)('revision long poll over HTTP (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  it('answers at once with the current revision when it already exceeds `after`, or without `after`', async () => {
    const env = await withEnvironment(api, admin)
    const started = performance.now()
    const reply = await env.me.get(`${env.base}/revision?after=0&waitSeconds=30`)
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body).toEqual({ status: 'success', data: { revision: env.revision } })
    expect(performance.now() - started).toBeLessThan(1_000)
    const plain = await env.me.get(`${env.base}/revision`)
    expect(plain.body.data).toEqual({ revision: env.revision })
  })

  it('answers within 100 ms of a committed change, to a runtime token and a user alike', async () => {
    const env = await withEnvironment(api, admin)
    const token = await env.me.post(`${env.base}/tokens`, { name: 'watcher' })
    expect(token.status).toBe(201)
    const path = `${env.base}/revision?after=${env.revision}&waitSeconds=30`
    const polls = [poll(api.as(token.body.data.token as string), path), poll(env.me, path)]
    await new Promise((resolve) => setTimeout(resolve, 300))
    const change = await env.me.post(`${env.base}/variables`, { name: 'WAKE', value: 'up' })
    expect(change.status).toBe(201)
    const changedAt = performance.now()
    for (const { reply, at } of await Promise.all(polls)) {
      expect(reply.status, reply.text).toBe(200)
      expect(reply.body.data.revision).toBe(env.revision + 1)
      expect(at - changedAt).toBeLessThan(100)
    }
  })

  it('answers at the timeout with the current revision when nothing changed', async () => {
    const env = await withEnvironment(api, admin)
    const started = performance.now()
    const reply = await env.me.get(`${env.base}/revision?after=${env.revision}&waitSeconds=1`)
    const elapsed = performance.now() - started
    expect(reply.status).toBe(200)
    expect(reply.body.data.revision).toBe(env.revision)
    expect(elapsed).toBeGreaterThanOrEqual(950)
    expect(elapsed).toBeLessThan(3_000)
  })

  it('does not wake for a description-only change (the revision does not move)', async () => {
    const env = await withEnvironment(api, admin)
    const pending = poll(env.me, `${env.base}/revision?after=${env.revision}&waitSeconds=1`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await env.me.patch(env.base, { description: 'words' })).status).toBe(200)
    const { reply } = await pending
    expect(reply.body.data.revision).toBe(env.revision)
  })

  it.each([
    ['waitSeconds=61', 'query.waitSeconds'],
    ['waitSeconds=-1', 'query.waitSeconds'],
    ['waitSeconds=abc', 'query.waitSeconds'],
    ['after=-1', 'query.after'],
    ['after=1.5', 'query.after'],
    ['after=x', 'query.after'],
  ])('refuses %s with 422 naming the parameter', async (query, param) => {
    const env = await withEnvironment(api, admin)
    const reply = await env.me.get(`${env.base}/revision?${query}`)
    expect(reply.status, reply.text).toBe(422)
    expect(reply.body.errors[0]).toMatchObject({ code: 'invalid', param })
    expect(reply.body.detail).toBe(reply.body.errors[0].details)
  })

  it('answers 404 for an environment the caller cannot see', async () => {
    const env = await withEnvironment(api, admin)
    const other = await newUser(api, admin, 'rev')
    const reply = await api.as(other.token).get(`${env.base}/revision?after=0`)
    expect(reply.status).toBe(404)
  })

  it('lets go of waiting clients when the server shuts down', async () => {
    const own = await startTestServer(engine)
    const ownApi = new Api(own)
    const env = await withEnvironment(ownApi, await adminToken(ownApi))
    const pending = poll(env.me, `${env.base}/revision?after=${env.revision}&waitSeconds=60`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const stopping = performance.now()
    await own.stop()
    const { reply, at } = await pending
    expect(reply.status).toBe(200)
    expect(reply.body.data.revision).toBe(env.revision)
    expect(at - stopping).toBeLessThan(5_000)
  })
})

const pg = await reachableTestPostgres()

describe.runIf(pg)('revision long poll across two replicas on one PostgreSQL schema', () => {
  const schema = freshSchemaName()
  const servers: TestServer[] = []

  beforeAll(async () => {
    const url = new URL(pg!.url)
    url.searchParams.set('options', `-c search_path=${schema}`)
    const env = {
      COFFER_DATABASE_URL: url.toString(),
      COFFER_MASTER_KEY: randomBytes(32).toString('base64'),
    }
    servers.push(await startTestServer('postgres', { env }))
    servers.push(await startTestServer('postgres', { env }))
  })
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    await dropSchema(pg!.url, schema)
  })

  it('wakes a long poll on server 2 within 100 ms of a change committed through server 1', async () => {
    const [one, two] = servers as [TestServer, TestServer]
    const apiOne = new Api(one)
    const env = await withEnvironment(apiOne, await adminToken(apiOne))
    const onTwo = new Api(two).as(env.token)
    const pending = poll(onTwo, `${env.base}/revision?after=${env.revision}&waitSeconds=30`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const change = await env.me.post(`${env.base}/secrets`, { name: 'CROSS', value: 'replica' })
    expect(change.status).toBe(201)
    const changedAt = performance.now()
    const { reply, at } = await pending
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.data.revision).toBe(env.revision + 1)
    expect(at - changedAt).toBeLessThan(100)

    // And the resolve on server 2 sees the new value at once (its snapshot is per revision).
    const resolved = await onTwo.post(`${env.base}/resolve`, {})
    expect(resolved.body.data.values).toEqual({ CROSS: 'replica' })
  })
})
