// `coffer audit` and `coffer audit verify` as a process against a live server (SPEC.md §1, §4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliRunner, expectExitCode } from '../support/cli.js'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()

describe.each(engines)('coffer audit (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  async function freshUser() {
    const user = await newUser(api, admin, 'cli-audit')
    return { ...user, run: cliRunner(server, user.token) }
  }

  it('lists the events of your own scope with actions and no values', async () => {
    const me = await freshUser()
    const sentinel = `cli-audit-sentinel-${Date.now()}`
    await api.as(me.token).post('/api/v1/secrets/', { name: 'AUDITED', value: sentinel })
    const listed = await me.run(['audit', '--action', 'secret.create'])
    expectExitCode(listed, 0)
    expect(listed.stdout).toMatch(/AT\s+OWNER\s+ACTOR\s+ACTION/)
    expect(listed.stdout).toMatch(
      new RegExp(`${me.username}\\s+${me.username}\\s+secret\\.create\\s+success\\s+name=AUDITED`),
    )
    const json = await me.run(['--json', 'audit', '--since', '1h'])
    expectExitCode(json, 0)
    const events = JSON.parse(json.stdout) as { action: string }[]
    expect(events.map((e) => e.action)).toContain('user.create')
    expect(listed.stdout + json.stdout).not.toContain(sentinel)
  })

  it('verifies an intact chain, and reports the first broken link with exit 1', async () => {
    const me = await freshUser()
    for (const name of ['ONE', 'TWO', 'THREE'])
      await api.as(me.token).post('/api/v1/secrets/', { name, value: 'x' })
    const intact = await me.run(['audit', 'verify'])
    expectExitCode(intact, 0)
    expect(intact.stdout).toBe(`The audit chain of ${me.username} is intact: 5 events verified.\n`)

    const placeholder = engine === 'postgres' ? '$1' : '?'
    const rows = await server.sql(
      `select id, body from audit_events where body like ${placeholder}`,
      [`%"TWO"%`],
    )
    const forged = String(rows[0]!.body).replace('"TWO"', '"FORGED"')
    await server.sql(
      `update audit_events set body = ${placeholder === '?' ? '?' : '$1'} where id = ${placeholder === '?' ? '?' : '$2'}`,
      [forged, rows[0]!.id],
    )
    const broken = await me.run(['audit', 'verify'])
    expectExitCode(broken, 1)
    expect(broken.stderr).toContain(`The audit chain of ${me.username} is broken at event 4`)
  })

  it('verifies a team chain with --team, and refuses one you do not administer', async () => {
    const me = await freshUser()
    const other = await freshUser()
    const slug = uniqueName('audit-team')
    expectExitCode(await me.run(['team', 'create', slug]), 0)
    const verified = await me.run(['--team', slug, 'audit', 'verify'])
    expectExitCode(verified, 0)
    expect(verified.stdout).toContain(`The audit chain of ${slug} is intact: 1 events verified.`)
    expectExitCode(await other.run(['audit', 'verify', '--owner', slug]), 4)
  })
})
