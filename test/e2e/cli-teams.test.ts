// `coffer team …` and `--team SLUG` as a process against a live server (SPEC.md §3.1, §4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliRunner, expectOk } from '../support/cli.js'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()

describe.each(engines)('coffer team (%s)', (engine) => {
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
    const user = await newUser(api, admin, 'cli-team')
    return { ...user, run: cliRunner(server, user.token) }
  }

  const ok = expectOk

  it('creates a team, adds a member who creates a team secret, lists, and removes them', async () => {
    const owner = await freshUser()
    const member = await freshUser()
    const slug = uniqueName('cli-acme')

    const created = ok(await owner.run(['team', 'create', slug, '--name', 'Acme Inc']))
    expect(created.stdout).toBe(`Created team ${slug} (Acme Inc); you are its admin\n`)

    const added = ok(await owner.run(['team', 'add-member', slug, member.username]))
    expect(added.stdout).toBe(`Added ${member.username} to ${slug} as member\n`)

    const members = ok(await owner.run(['team', 'members', slug]))
    expect(members.stdout).toMatch(new RegExp(`^${member.username}\\s+member\\s`, 'm'))
    expect(members.stdout).toMatch(new RegExp(`^${owner.username}\\s+admin\\s`, 'm'))

    const teams = ok(await member.run(['team', 'list']))
    expect(teams.stdout).toMatch(/^SLUG\s+NAME\s+ROLE\s+ID\s+CREATED$/m)
    expect(teams.stdout).toMatch(new RegExp(`^${slug}\\s+Acme Inc\\s+member\\s`, 'm'))
    const json = JSON.parse(ok(await member.run(['--json', 'team', 'list'])).stdout)
    expect(json).toEqual([expect.objectContaining({ slug, name: 'Acme Inc', role: 'member' })])

    const secret = ok(
      await member.run(
        ['--team', slug, 'secret', 'create', '--name', 'TEAM_KEY', '--value', '-'],
        'v',
      ),
    )
    expect(secret.stdout).toContain(`Created secret TEAM_KEY in team ${slug}`)
    const listed = JSON.parse(
      ok(await owner.run(['secret', 'list', '--team', slug, '--json'])).stdout,
    )
    expect(listed).toEqual([expect.objectContaining({ name: 'TEAM_KEY', userId: null })])
    // Personal and team scopes are apart.
    expect((await member.run(['secret', 'get', 'TEAM_KEY'])).code).toBe(4)
    ok(await member.run(['--team', slug, 'secret', 'get', 'TEAM_KEY']))

    const removed = ok(await owner.run(['team', 'remove-member', slug, member.username]))
    expect(removed.stdout).toBe(`Removed ${member.username} from ${slug}\n`)
    const after = await member.run(['--team', slug, 'secret', 'list'])
    expect(after.code).toBe(4)
  })

  it('adds a member with a role, and refuses a role that does not exist with exit 2', async () => {
    const owner = await freshUser()
    const viewer = await freshUser()
    const slug = uniqueName('cli-roles')
    ok(await owner.run(['team', 'create', slug]))
    ok(await owner.run(['team', 'add-member', slug, viewer.username, '--role', 'viewer']))
    const again = await owner.run(['team', 'add-member', slug, viewer.username, '--role', 'member'])
    expect(again.code).toBe(5)
    const bad = await owner.run(['team', 'add-member', slug, viewer.username, '--role', 'owner'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('admin, member, viewer')

    // A viewer may read metadata but not create secrets.
    const denied = await viewer.run(
      ['--team', slug, 'secret', 'create', '--name', 'NOPE', '--value', '-'],
      'v',
    )
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toMatch(/^coffer: /)
  })

  it('exits 4 for an unknown team', async () => {
    const user = await freshUser()
    const result = await user.run(['--team', uniqueName('no-such-team'), 'secret', 'list'])
    expect(result.code).toBe(4)
  })
})
