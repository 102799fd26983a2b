// `coffer provider …` and `coffer env provider …` as processes against a live server and a local
// fake provider (SPEC.md §1.5, §4): keys from stdin, listings without keys, tests and their exit
// codes, attach/detach, conflicts as exit 5, and no key in any output.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliRunner, expectExitCode, expectOk } from '../support/cli.js'
import { startFakeProvider, type FakeProvider } from '../support/fake-provider.js'
import { Api, adminToken, newUser } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const KEY = 'sk-cli-sentinel-key-5d1e0b9a'
const ID = /c[a-z0-9]{24}/

describe.each(engines)('coffer provider (%s)', (engine) => {
  let fake: FakeProvider
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    fake = await startFakeProvider(KEY)
    server = await startTestServer(engine, {
      env: {
        COFFER_PROVIDER_OPENAI_BASE_URL: `${fake.url}/openai/v1`,
        COFFER_PROVIDER_ANTHROPIC_BASE_URL: `${fake.url}/anthropic/v1`,
        COFFER_PROVIDER_TEST_TIMEOUT_MS: '500',
      },
    })
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(async () => {
    expect(server.log()).not.toContain(KEY)
    await server.stop()
    await fake.close()
  })

  async function freshUser() {
    const user = await newUser(api, admin, 'cli-prov')
    const runAsUser = cliRunner(server, user.token)
    const run = async (args: readonly string[], input?: string) => {
      const result = await runAsUser(args, input)
      // Security: no key in any output, whatever the command.
      expect(result.stdout + result.stderr).not.toContain(KEY)
      return result
    }
    return { ...user, run }
  }
  const ok = expectOk

  it('connects from stdin, lists without the key, tests, attaches, detaches and deletes', async () => {
    const me = await freshUser()
    const connected = ok(
      await me.run(
        ['provider', 'connect', 'openai', '--label', 'Main', '--api-key', '-'],
        `${KEY}\n`,
      ),
    )
    expect(connected.stdout).toMatch(/^Connected openai \(Main\) in your personal scope: id c/)
    expect(connected.stdout).toContain('injects OPENAI_API_KEY')
    const id = ID.exec(connected.stdout)![0]

    // Not a terminal and no flag: the key comes from stdin as well.
    const second = ok(await me.run(['provider', 'connect', 'anthropic', '--json'], KEY))
    const anthropic = JSON.parse(second.stdout) as { id: string; hint: string; names: string[] }
    expect(anthropic).toMatchObject({ hint: `…${KEY.slice(-4)}`, names: ['ANTHROPIC_API_KEY'] })

    const listed = ok(await me.run(['provider', 'list']))
    expect(listed.stdout).toContain('Main')
    expect(listed.stdout).toContain(id)
    expect(listed.stdout).toContain('never')

    const tested = ok(await me.run(['provider', 'test', id]))
    expect(tested.stdout).toMatch(/result:\s+ok/)
    expect(tested.stdout).toContain('accepted the key and lists 2 models')
    expect(ok(await me.run(['provider', 'list'])).stdout).toMatch(/ok \d{4}-/)

    const name = 'agent'
    ok(await me.run(['env', 'create', `${me.username}/${name}`]))
    const ref = `${me.username}/${name}`
    const attached = ok(await me.run(['env', 'provider', 'attach', id, ref]))
    expect(attached.stdout).toBe(`Attached openai (Main) to ${ref}: injects OPENAI_API_KEY\n`)
    const inEnv = ok(await me.run(['env', 'provider', 'list', ref]))
    expect(inEnv.stdout).toContain('OPENAI_API_KEY')
    // `coffer env status` has its own section for the attached providers and their last test.
    const status = ok(await me.run(['env', 'status', ref]))
    expect(status.stdout).toMatch(
      /AI providers:\n.*PROVIDER.*LAST TEST\n.*openai.*Main.*OPENAI_API_KEY.*ok \d{4}-/,
    )
    const statusJson = JSON.parse(ok(await me.run(['env', 'status', ref, '--json'])).stdout) as {
      providers: { connectionId: string; lastTestOk: boolean }[]
    }
    expect(statusJson.providers).toEqual([
      expect.objectContaining({ connectionId: id, lastTestOk: true }),
    ])
    // `coffer run` injects the key; the child proves it by its hash (no key on any argv).
    const dry = JSON.parse(
      ok(await me.run(['--json', 'run', '--env', ref, '--dry-run'])).stdout,
    ) as { sources: Record<string, string> }
    expect(dry.sources).toEqual({ OPENAI_API_KEY: 'provider' })
    const child = ok(
      await me.run([
        'run',
        '--env',
        ref,
        '--',
        process.execPath,
        '-e',
        "process.stdout.write(require('node:crypto').createHash('sha256').update(process.env.OPENAI_API_KEY ?? '').digest('hex'))",
      ]),
    )
    expect(child.stdout).toBe(createHash('sha256').update(KEY).digest('hex'))
    // `coffer explain` counts the provider's names among the entries.
    const explained = JSON.parse(
      ok(await me.run(['explain', ref, 'OPENAI_API_KEY', '--json'])).stdout,
    ) as { names: { name: string; winner: { source: string } }[] }
    expect(explained.names[0]).toMatchObject({
      name: 'OPENAI_API_KEY',
      status: 'injected',
      winner: { source: 'provider' },
    })

    // Deleting while attached: a conflict (exit 5) naming the environment.
    const refused = expectExitCode(await me.run(['provider', 'delete', id]), 5)
    expect(refused.stderr).toContain(`still attached to ${ref}`)

    ok(await me.run(['env', 'provider', 'detach', id, ref]))
    expect(ok(await me.run(['env', 'provider', 'list', ref])).stderr).toContain(
      'No provider connections attached',
    )
    ok(await me.run(['provider', 'delete', id]))
    const left = JSON.parse(ok(await me.run(['provider', 'list', '--json'])).stdout) as {
      id: string
    }[]
    expect(left.map((c) => c.id)).toEqual([anthropic.id])
  })

  it('exits 1 when the provider refuses the key, 5 on a second connection of one provider', async () => {
    const me = await freshUser()
    const wrong = ok(
      await me.run(['provider', 'connect', 'openai', '--json'], 'sk-wrong-key-000000000000'),
    )
    const wrongId = (JSON.parse(wrong.stdout) as { id: string }).id
    const failed = expectExitCode(await me.run(['provider', 'test', wrongId]), 1)
    expect(failed.stdout).toMatch(/result:\s+failed/)
    expect(failed.stdout).toContain('rejected the key (HTTP 401)')

    const right = JSON.parse(
      ok(await me.run(['provider', 'connect', 'openai', '--json'], KEY)).stdout,
    ) as { id: string }
    const ref = `${me.username}/app`
    ok(await me.run(['env', 'create', ref]))
    ok(await me.run(['env', 'provider', 'attach', wrongId, ref]))
    const conflict = expectExitCode(await me.run(['env', 'provider', 'attach', right.id, ref]), 5)
    expect(conflict.stderr).toContain('already has a connection to openai')

    const bad = expectExitCode(
      await me.run(['provider', 'connect', 'custom', '--base-url', 'file:///etc/passwd'], KEY),
      1,
    )
    expect(bad.stderr).toContain('http or https')
    const unknown = expectExitCode(await me.run(['provider', 'connect', 'gemini'], KEY), 1)
    expect(unknown.stderr).toContain('anthropic, openai, openrouter, venice, custom')
    const missing = expectExitCode(
      await me.run(['provider', 'test', 'c000000000000000000000000']),
      4,
    )
    expect(missing.stderr).toContain('provider connection was not found')
  })

  it('warns about a key on the command line and works in a team with --team', async () => {
    const me = await freshUser()
    const slug = `t-${me.username}`
    ok(await me.run(['team', 'create', slug]))
    const literal = ok(
      await me.run(['--team', slug, 'provider', 'connect', 'openai', '--api-key', KEY]),
    )
    expect(literal.stderr).toContain('visible to other users in the process list')
    expect(literal.stdout).toContain(`in team ${slug}`)
    const teamList = JSON.parse(
      ok(await me.run(['--team', slug, 'provider', 'list', '--json'])).stdout,
    ) as { teamId: string }[]
    expect(teamList).toHaveLength(1)
    expect(teamList[0]!.teamId).toMatch(ID)
    expect(ok(await me.run(['provider', 'list'])).stderr).toContain('No provider connections')
  })
})
