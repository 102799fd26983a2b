// The seed platform's environment routes (SPEC.md §3.8), replayed as its CLI drives them: find the
// environment by `owner/name@latest`, then work on it by id. Lists are whole arrays, items carry
// `source`, deleting a linked item names the unlink command, deletes answer 204 with no body.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const ID = /^c[a-z0-9]{24}$/
const SENTINEL = 'sentinel-hub-value-0d6f2a7c41'

describe.each(engines)('environmentshub compatibility routes (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(async () => {
    expect(server.log()).not.toContain(SENTINEL)
    await server.stop()
  })

  const withEnvironment = async () => {
    const user = await newUser(api, admin, 'hub')
    const me = api.as(user.token)
    const name = uniqueName('agent')
    const created = await me.post('/api/v1/environments', { owner: user.username, name })
    expect(created.status, created.text).toBe(201)
    return { ...user, me, name, envId: created.body.data.id as string }
  }

  it('serves a seed-style client session from @latest to unlink and variables', async () => {
    const { me, username, name, envId } = await withEnvironment()
    const global = await me.post('/api/v1/secrets/', { name: 'SHARED_KEY', value: 'global-v' })
    expect(global.status).toBe(200)
    const globalId = global.body.data.id as string

    // 1. whoami, then resolve the environment.
    const who = await me.get('/api/v1/user/whoami')
    expect(who.body.data).toMatchObject({ name: username, slug: username })
    const latest = await me.get(`/api/v1/environmentshub/${username}/${name}/@latest`)
    expect(latest.status, latest.text).toBe(200)
    expect(latest.body.data).toMatchObject({ id: envId, owner: username, name })
    const hub = `/api/v1/environmentshub/${latest.body.data.id as string}`

    // 2. list secrets: a whole array, no paging meta.
    const empty = await me.get(`${hub}/secrets`)
    expect(empty.status).toBe(200)
    expect(empty.body).toEqual({ data: [], status: 'success' })

    // 3. create a direct secret.
    const created = await me.post(`${hub}/secrets`, {
      name: 'API_TOKEN',
      value: SENTINEL,
      description: 'for the agent',
    })
    expect(created.status, created.text).toBe(201)
    expect(created.body.data).toMatchObject({
      id: expect.stringMatching(ID),
      name: 'API_TOKEN',
      description: 'for the agent',
      type: 'direct',
      source: 'environment',
      version: 1,
      hint: `…${SENTINEL.slice(-4)}`,
    })
    expect(created.text).not.toContain(SENTINEL)
    const secretId = created.body.data.id as string

    // 4. patch it (new value, new description).
    const patched = await me.patch(`${hub}/secrets/${secretId}`, {
      value: `${SENTINEL}-2`,
      description: 'rotated',
    })
    expect(patched.status, patched.text).toBe(200)
    expect(patched.body.data).toMatchObject({
      id: secretId,
      version: 2,
      description: 'rotated',
      source: 'environment',
    })

    // 5. link a global secret (body `{}`).
    const linked = await me.post(`${hub}/secrets/link/${globalId}`, {})
    expect(linked.status, linked.text).toBe(201)
    expect(linked.body.data).toEqual({
      id: expect.stringMatching(ID),
      secretId: globalId,
      secretName: 'SHARED_KEY',
      environmentId: envId,
      createdAt: expect.any(String),
    })

    // 6. the list shows both, with their sources.
    const listed = await me.get(`${hub}/secrets`)
    expect(listed.body.meta).toBeUndefined()
    expect(
      listed.body.data.map((s: { name: string; source: string; type: string }) => [
        s.name,
        s.source,
        s.type,
      ]),
    ).toEqual([
      ['API_TOKEN', 'environment', 'direct'],
      ['SHARED_KEY', 'global-linked', 'linked'],
    ])
    const linkedItem = listed.body.data[1] as { id: string; secretId: string }
    expect(linkedItem.secretId).toBe(globalId)

    // 7. deleting the linked item here is 409 use_unlink, naming the command.
    for (const id of [linkedItem.id, globalId]) {
      const refused = await me.delete(`${hub}/secrets/${id}`)
      expect(refused.status, refused.text).toBe(409)
      expect(refused.body.errors[0].code).toBe('use_unlink')
      expect(refused.body.detail).toContain(
        `coffer env secret unlink ${globalId} ${username}/${name}`,
      )
    }

    const patchLinked = await me.patch(`${hub}/secrets/${linkedItem.id}`, { value: 'x' })
    expect(patchLinked.status).toBe(409)
    expect(patchLinked.body.errors[0].code).toBe('use_unlink')
    expect(patchLinked.body.detail).toContain(`coffer secret update ${globalId}`)

    // 8. unlink; the global secret stays.
    const unlinked = await me.delete(`${hub}/secrets/link/${globalId}`)
    expect(unlinked.status).toBe(204)
    expect(unlinked.text).toBe('')
    expect((await me.get(`/api/v1/secrets/${globalId}`)).status).toBe(200)
    expect((await me.delete(`${hub}/secrets/link/${globalId}`)).status).toBe(404)

    // 9. delete the direct secret.
    const deleted = await me.delete(`${hub}/secrets/${secretId}`)
    expect(deleted.status).toBe(204)
    expect(deleted.text).toBe('')
    expect((await me.get(`${hub}/secrets`)).body.data).toEqual([])

    // 10. variables CRUD.
    const variable = await me.post(`${hub}/variables`, { name: 'DEBUG', value: 'true' })
    expect(variable.status, variable.text).toBe(201)
    expect(variable.body.data).toMatchObject({ name: 'DEBUG', value: 'true' })
    const variableId = variable.body.data.id as string
    const vars = await me.get(`${hub}/variables`)
    expect(vars.body).toEqual({ data: [variable.body.data], status: 'success' })
    const changed = await me.patch(`${hub}/variables/${variableId}`, { value: 'false' })
    expect(changed.status).toBe(200)
    expect(changed.body.data.value).toBe('false')
    const removed = await me.delete(`${hub}/variables/${variableId}`)
    expect(removed.status).toBe(204)
    expect(removed.text).toBe('')
    expect((await me.get(`${hub}/variables`)).body.data).toEqual([])

    // The same environment through the regular routes agrees.
    const regular = await me.get(`/api/v1/environments/${username}/${name}`)
    expect(regular.body.data.revision).toBeGreaterThan(latest.body.data.revision as number)
  })

  it('links without a body, and shares the conflict rules with the regular routes', async () => {
    const { me, username, name, envId } = await withEnvironment()
    const hub = `/api/v1/environmentshub/${envId}`
    const global = await me.post('/api/v1/secrets/', { name: 'TAKEN', value: 'v' })
    await me.post(`/api/v1/environments/${username}/${name}/variables`, {
      name: 'TAKEN',
      value: 'x',
    })
    const conflict = await me.post(`${hub}/secrets/link/${global.body.data.id as string}`)
    expect(conflict.status).toBe(409)
    expect(conflict.body.detail).toBe('An environment variable with the name TAKEN already exists')
    const other = await me.post('/api/v1/secrets/', { name: 'OTHER', value: 'v' })
    const noBody = await me.post(`${hub}/secrets/link/${other.body.data.id as string}`)
    expect(noBody.status, noBody.text).toBe(201)
    const twice = await me.post(`${hub}/secrets/link/${other.body.data.id as string}`, {})
    expect(twice.status).toBe(409)
    const unknownField = await me.post(`${hub}/secrets/link/${other.body.data.id as string}`, {
      force: true,
    })
    expect(unknownField.status).toBe(422)
    const dup = await me.post(`${hub}/secrets`, { name: 'OTHER', value: 'v' })
    expect(dup.status).toBe(409)
    expect(dup.body.detail).toBe('A linked global secret with the name OTHER already exists')
    const typo = await me.post(`${hub}/variables`, { name: 'X', vaule: 'v' })
    expect(typo.status).toBe(422)
  })

  it('answers 404 alike for unknown, malformed and invisible environment ids', async () => {
    const mine = await withEnvironment()
    const outsider = await newUser(api, admin, 'out')
    const other = api.as(outsider.token)
    const unknownId = `c${randomBytes(12).toString('hex')}`
    const invisible = await other.get(`/api/v1/environmentshub/${mine.envId}/secrets`)
    const unknown = await other.get(`/api/v1/environmentshub/${unknownId}/secrets`)
    const malformed = await other.get('/api/v1/environmentshub/not-an-id/secrets')
    expect(invisible.status).toBe(404)
    expect(invisible.body).toEqual(unknown.body)
    expect(malformed.body).toEqual(unknown.body)
    expect(invisible.body.errors[0]).toMatchObject({ code: 'not_found', param: 'path.envId' })
    const attempts: [string, string, unknown][] = [
      ['GET', 'variables', undefined],
      ['POST', 'variables', { name: 'A', value: 'b' }],
      ['POST', 'secrets', { name: 'A', value: 'b' }],
      ['PATCH', `variables/${unknownId}`, { value: 'b' }],
      ['DELETE', `secrets/${unknownId}`, undefined],
      ['POST', `secrets/link/${unknownId}`, {}],
      ['DELETE', `secrets/link/${unknownId}`, undefined],
    ]
    for (const [method, path, body] of attempts) {
      const reply = await other.request(
        method,
        `/api/v1/environmentshub/${mine.envId}/${path}`,
        body,
      )
      expect(reply.status, `${method} ${path}`).toBe(404)
      expect(reply.body).toEqual(invisible.body)
    }
    expect(
      (await other.get(`/api/v1/environmentshub/${mine.username}/${mine.name}/@latest`)).status,
    ).toBe(404)
    expect(
      (await mine.me.get(`/api/v1/environmentshub/${mine.username}/nosuch/@latest`)).status,
    ).toBe(404)
    expect((await mine.me.get('/api/v1/environmentshub/x/variables')).status).toBe(404)
    expect((await api.get(`/api/v1/environmentshub/${mine.envId}/variables`)).status).toBe(401)
  })

  it('lets team viewers list but not write, and refuses values', async () => {
    const lead = await newUser(api, admin, 'lead')
    const viewer = await newUser(api, admin, 'viewer')
    const slug = uniqueName('team')
    const leadApi = api.as(lead.token)
    expect((await leadApi.post('/api/v1/teams', { slug })).status).toBe(201)
    await leadApi.post(`/api/v1/teams/${slug}/members`, {
      username: viewer.username,
      role: 'viewer',
    })
    const env = await leadApi.post('/api/v1/environments', { owner: slug, name: 'prod' })
    const hub = `/api/v1/environmentshub/${env.body.data.id as string}`
    const secret = await leadApi.post(`${hub}/secrets`, { name: 'K', value: SENTINEL })
    expect(secret.status).toBe(201)
    const viewerApi = api.as(viewer.token)
    const listed = await viewerApi.get(`${hub}/secrets`)
    expect(listed.status).toBe(200)
    expect(listed.text).not.toContain(SENTINEL)
    expect((await viewerApi.post(`${hub}/secrets`, { name: 'Z', value: 'v' })).status).toBe(403)
    expect((await viewerApi.delete(`${hub}/secrets/${secret.body.data.id as string}`)).status).toBe(
      403,
    )
    expect((await viewerApi.get(`/api/v1/environmentshub/${slug}/prod/@latest`)).status).toBe(200)
  })
})
