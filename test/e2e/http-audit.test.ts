// Audit events (SPEC.md §1 "Versions and audit", §3.9) and integrity failures (SPEC.md §3).
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyAuditChain, type AuditEvent } from '../../src/domain/audit.js'
import { Api, adminToken, newUser } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex')

describe.each(engines)('audit and integrity (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  const placeholders = (sql: string) =>
    engine === 'postgres'
      ? sql.replace(/\?/g, (_, i: number) => `$${sql.slice(0, i).split('?').length}`)
      : sql

  async function allEvents(me: Api, owner: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = []
    let cursor: string | null = null
    do {
      const reply = await me.get(
        `/api/v1/audit?owner=${owner}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(reply.status).toBe(200)
      events.push(...(reply.body.data as AuditEvent[]))
      cursor = reply.body.meta.nextCursor as string | null
    } while (cursor)
    return events
  }

  it('records every mutation, hash-chained per owner, without values', async () => {
    const user = await newUser(api, admin, 'aud')
    const me = api.as(user.token)
    const sentinel = `audit-sentinel-${Date.now()}-abcdef`
    const { body } = await me.post('/api/v1/secrets/', { name: 'AUDITED', value: sentinel })
    const id = body.data.id as string
    await me.patch(`/api/v1/secrets/${id}`, { value: `${sentinel}-2`, name: 'AUDITED_TOO' })
    await me.post(`/api/v1/secrets/${id}/rollback`, { version: 1 })
    await me.delete(`/api/v1/secrets/${id}`)
    const events = await allEvents(me, user.username)
    const actions = [...events].sort((a, b) => a.seq - b.seq).map((e) => e.action)
    expect(actions).toEqual([
      'user.create',
      'auth.login',
      'secret.create',
      'secret.update',
      'secret.rollback',
      'secret.delete',
    ])
    expect(JSON.stringify(events)).not.toContain(sentinel)
    const update = events.find((e) => e.action === 'secret.update')!
    expect(update).toMatchObject({
      owner: user.username,
      actor: { kind: 'user', id: user.id, name: user.username },
      target: {
        secretId: id,
        name: 'AUDITED_TOO',
        previousName: 'AUDITED',
        changed: ['value', 'name'],
      },
      outcome: 'success',
      ip: expect.any(String),
      requestId: expect.stringMatching(/^c[a-z0-9]{24}$/),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    expect(verifyAuditChain(events, sha256Hex)).toEqual({ ok: true, count: 6 })
  })

  it('lets the chain show an event edited in the database', async () => {
    const user = await newUser(api, admin, 'tamper')
    const me = api.as(user.token)
    await me.post('/api/v1/secrets/', { name: 'ONE', value: 'x' })
    await me.post('/api/v1/secrets/', { name: 'TWO', value: 'y' })
    const [event] = await server.sql(
      placeholders(
        "select id, body from audit_events where action = 'secret.create' and body like ?",
      ),
      [`%"ONE"%`],
    )
    const forged = String(event!.body).replace('"ONE"', '"FORGED"')
    await server.sql(placeholders('update audit_events set body = ? where id = ?'), [
      forged,
      event!.id,
    ])
    const verdict = verifyAuditChain(await allEvents(me, user.username), sha256Hex)
    expect(verdict).toMatchObject({ ok: false, brokenAt: 3 })
  })

  it('filters by action and time, and hides owners the actor does not administer', async () => {
    const user = await newUser(api, admin, 'filt')
    const other = await newUser(api, admin, 'filt')
    const me = api.as(user.token)
    await me.post('/api/v1/secrets/', { name: 'FILTERED', value: 'x' })
    const creates = await me.get(`/api/v1/audit?owner=${user.username}&action=secret.create`)
    expect(creates.body.data.map((e: AuditEvent) => e.action)).toEqual(['secret.create'])
    expect(
      (await me.get(`/api/v1/audit?owner=${user.username}&since=1h`)).body.data.length,
    ).toBeGreaterThan(0)
    expect(
      (await me.get(`/api/v1/audit?owner=${user.username}&since=2999-01-01T00:00:00Z`)).body.data,
    ).toEqual([])
    expect((await me.get(`/api/v1/audit?owner=${other.username}`)).status).toBe(404)
    expect((await me.get('/api/v1/audit?since=yesterday')).status).toBe(422)
    const mine = await me.get('/api/v1/audit')
    expect(new Set(mine.body.data.map((e: AuditEvent) => e.owner))).toEqual(
      new Set([user.username]),
    )
  })

  it('answers 500 integrity_error for a ciphertext moved to another row, and audits it', async () => {
    const user = await newUser(api, admin, 'integ')
    const me = api.as(user.token)
    const a = await me.post('/api/v1/secrets/', { name: 'ROW_A', value: 'value-of-row-a' })
    const b = await me.post('/api/v1/secrets/', { name: 'ROW_B', value: 'value-of-row-b' })
    await me.patch(`/api/v1/secrets/${b.body.data.id}`, { value: 'value-of-row-b-2' })
    await server.sql(
      placeholders(
        'update secret_versions set ciphertext = (select ciphertext from secret_versions where secret_id = ? and version = 1) where secret_id = ? and version = 1',
      ),
      [a.body.data.id, b.body.data.id],
    )
    const reply = await me.post(
      `/api/v1/secrets/${b.body.data.id}/rollback`,
      { version: 1 },
      { allow5xx: true },
    )
    expect(reply.status).toBe(500)
    expect(reply.body.errors[0]).toMatchObject({ code: 'integrity_error' })
    expect(reply.text).not.toContain('value-of-row')
    // Nothing was written by the failed rollback…
    expect((await me.get(`/api/v1/secrets/${b.body.data.id}`)).body.data.version).toBe(2)
    // …but the alarm was.
    const alarms = await me.get(`/api/v1/audit?owner=${user.username}&action=integrity.failure`)
    expect(alarms.body.data).toHaveLength(1)
    expect(alarms.body.data[0]).toMatchObject({
      outcome: 'failure',
      target: { secretId: b.body.data.id, version: 1 },
    })
  })
})
