// `coffer env …` and `coffer explain` as a process against a live server (SPEC.md §3.3–3.5, §4):
// environments, their direct and linked secrets and variables, exit codes, --json shapes, and no
// secret value in any output but the one-time answer of `generate` and `rotate`.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { expectOk, okJson, runCli, type CliResult } from '../support/cli.js'
import { newUserWithApp } from '../support/cli-env.js'
import { Api, adminToken, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const ID = /^c[a-z0-9]{24}$/
const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ'

describe.each(engines)('coffer env (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string
  let files: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())
  beforeEach(() => {
    files = mkdtempSync(join(tmpdir(), 'coffer-cli-env-'))
  })
  afterEach(() => {
    rmSync(files, { recursive: true, force: true })
  })

  /** A fresh user per test, with one environment of their own: `<username>/app`. */
  const freshUser = () => newUserWithApp(api, admin, server, 'cli-env')
  const ok = expectOk
  const json = okJson

  describe('environments', () => {
    it('creates, lists (table, --json, --owner, --team) and deletes without asking off a terminal', async () => {
      const me = await freshUser()
      const created = ok(await me.run(['env', 'create', `${me.username}/prod`, '-d', 'live']))
      expect(created.stdout).toMatch(
        new RegExp(`^Created environment ${me.username}/prod \\(id c[a-z0-9]{24}\\)\\n$`),
      )
      const table = ok(await me.run(['env', 'list']))
      const lines = table.stdout.trimEnd().split('\n')
      expect(lines[0]).toMatch(/^ENVIRONMENT\s+REVISION\s+UPDATED\s+DESCRIPTION$/)
      expect(lines.slice(1)).toEqual([
        expect.stringMatching(new RegExp(`^${me.username}/app\\s+\\d+\\s+${TIME}\\s+-$`)),
        expect.stringMatching(new RegExp(`^${me.username}/prod\\s+\\d+\\s+${TIME}\\s+live$`)),
      ])
      const listed = json<{ owner: string; name: string; id: string }[]>(
        await me.run(['--json', 'env', 'list', '--owner', me.username]),
      )
      expect(listed.map((env) => env.name)).toEqual(['app', 'prod'])
      expect(listed[1]).toMatchObject({
        owner: me.username,
        description: 'live',
        revision: expect.any(Number),
      })
      expect(listed[1]?.id).toMatch(ID)

      const slug = uniqueName('cli-env-team')
      expect((await api.as(me.token).post('/api/v1/teams', { slug, name: slug })).status).toBe(201)
      ok(await me.run(['env', 'create', `${slug}/shared`]))
      const team = json<{ owner: string; name: string }[]>(
        await me.run(['--json', '--team', slug, 'env', 'list']),
      )
      expect(team).toEqual([expect.objectContaining({ owner: slug, name: 'shared' })])

      const deleted = ok(await me.run(['env', 'delete', `${me.username}/prod`]))
      expect(deleted.stdout).toBe(`Deleted environment ${me.username}/prod\n`)
      const after = json<unknown[]>(await me.run(['--json', 'env', 'list']))
      expect(after).toHaveLength(1)
      expect((await me.run(['env', 'delete', `${me.username}/prod`, '--yes'])).code).toBe(4)
    })

    it('says how to start when there is nothing, and gives [] with --json', async () => {
      const me = await freshUser()
      ok(await me.run(['env', 'delete', me.ref]))
      const empty = ok(await me.run(['env', 'list']))
      expect(empty.stdout).toBe('')
      expect(empty.stderr).toContain(`coffer env create`)
      expect(json(await me.run(['--json', 'env', 'list']))).toEqual([])
    })

    it('exits 5 for a taken name, 4 for an unknown owner, 2 for a malformed ref, 3 without a login', async () => {
      const me = await freshUser()
      const taken = await me.run(['env', 'create', me.ref])
      expect(taken.code).toBe(5)
      expect(taken.stderr).toMatch(/^coffer: /)
      expect((await me.run(['env', 'create', 'no-such-owner-x/app'])).code).toBe(4)
      expect((await me.run(['env', 'list', '--owner', 'no-such-owner-x'])).code).toBe(4)

      const malformed = await me.run(['env', 'secret', 'list', 'just-a-name'])
      expect(malformed.code).toBe(2)
      expect(malformed.stderr).toContain('owner/name')
      expect(malformed.stderr).toContain('--help')
      expect((await me.run(['env', 'create'])).code).toBe(2)

      const anonymous = await runCli(['env', 'list'], { env: { COFFER_SERVER: server.url } })
      expect(anonymous.code).toBe(3)
      expect(anonymous.stderr).toContain('coffer login')
      const revoked = await runCli(['env', 'secret', 'list', me.ref], {
        env: { COFFER_SERVER: server.url, COFFER_TOKEN: `cfp_${'A'.repeat(43)}` },
      })
      expect(revoked.code).toBe(3)
    })

    it("answers 4 for another user's environment, as for one that does not exist", async () => {
      const me = await freshUser()
      const other = await freshUser()
      const theirs = await me.run(['env', 'secret', 'list', other.ref])
      const none = await me.run(['env', 'secret', 'list', `${other.username}/nothing`])
      expect(theirs.code).toBe(4)
      expect(none.code).toBe(4)
      expect((await me.run(['env', 'delete', other.ref])).code).toBe(4)
      ok(await other.run(['env', 'secret', 'list', other.ref]))
    })
  })

  describe('secrets', () => {
    it('creates from --value-file, stdin and --value (warned), and lists them', async () => {
      const me = await freshUser()
      const file = join(files, 'value.txt')
      writeFileSync(file, 'postgres://user:pw@db/app-0123456789\n')
      const fromFile = ok(
        await me.run([
          'env',
          'secret',
          'create',
          me.ref,
          '--name',
          'DATABASE_URL',
          '--value-file',
          file,
        ]),
      )
      expect(fromFile.stdout).toMatch(
        new RegExp(
          `^Created secret DATABASE_URL in ${me.ref} \\(id c[a-z0-9]{24}, version 1\\)\\n$`,
        ),
      )
      expect(fromFile.stderr).toBe('')
      ok(
        await me.run(
          ['env', 'secret', 'create', me.ref, '--name', 'API_KEY', '--value', '-', '-d', 'calls'],
          'sk-0123456789abcdefWXYZ\n',
        ),
      )
      const literal = ok(
        await me.run([
          'env',
          'secret',
          'create',
          me.ref,
          '--name',
          'LITERAL',
          '--value',
          'argv-value',
        ]),
      )
      expect(literal.stderr).toContain('visible to other users in the process list')
      expect(literal.stderr).not.toContain('argv-value')

      const table = ok(await me.run(['env', 'secret', 'list', me.ref]))
        .stdout.trimEnd()
        .split('\n')
      expect(table[0]).toMatch(/^NAME\s+TYPE\s+HINT\s+VERSION\s+SYNCED\s+UPDATED\s+ID$/)
      expect(table[1]).toMatch(
        new RegExp(`^API_KEY\\s+direct\\s+…WXYZ\\s+1\\s+-\\s+${TIME}\\s+c[a-z0-9]{24}$`),
      )
      expect(table[2]).toMatch(/^DATABASE_URL\s+direct\s+…\S+\s+1\s/)
      expect(table[3]).toMatch(/^LITERAL\s+direct\s+-\s+1\s/)
      const listed = json<Record<string, unknown>[]>(
        await me.run(['--json', 'env', 'secret', 'list', me.ref]),
      )
      expect(listed[0]).toEqual({
        id: expect.stringMatching(ID),
        name: 'API_KEY',
        description: 'calls',
        type: 'direct',
        hint: '…WXYZ',
        version: 1,
        updatedRevision: expect.any(Number),
        synced: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      })
    })

    it('exits 2 without a value off a terminal, and for a value given two ways', async () => {
      const me = await freshUser()
      const none = await me.run(['env', 'secret', 'create', me.ref, '--name', 'NO_VALUE'])
      expect(none.code).toBe(2)
      expect(none.stderr).toContain('--value-file F or --value -')
      const twice = await me.run(
        ['env', 'secret', 'create', me.ref, '--name', 'X', '--value', '-', '--value-file', 'f'],
        'v',
      )
      expect(twice.code).toBe(2)
      expect((await me.run(['env', 'secret', 'create', me.ref])).code).toBe(2)
    })

    it('updates by NAME or --id, renames without a new version, and deletes', async () => {
      const me = await freshUser()
      const created = json<{ id: string }>(
        await me.run(
          ['--json', 'env', 'secret', 'create', me.ref, '--name', 'TOKEN', '--value', '-'],
          'first',
        ),
      )
      const byName = ok(
        await me.run(['env', 'secret', 'update', me.ref, 'TOKEN', '--value', '-'], 'second'),
      )
      expect(byName.stdout).toBe(`Updated secret TOKEN in ${me.ref}: now version 2\n`)
      const byId = json<{ version: number }>(
        await me.run(
          ['--json', 'env', 'secret', 'update', me.ref, '--id', created.id, '--value', '-'],
          'third-value-0123456789',
        ),
      )
      expect(byId).toMatchObject({ version: 3, hint: '…6789' })
      const renamed = ok(
        await me.run([
          'env',
          'secret',
          'update',
          me.ref,
          '--id',
          'TOKEN',
          '--name',
          'RENAMED',
          '-d',
          'moved',
        ]),
      )
      expect(renamed.stdout).toBe(`Updated secret RENAMED in ${me.ref}\n`)
      const [item] = json<{ name: string; version: number; description: string }[]>(
        await me.run(['--json', 'env', 'secret', 'list', me.ref]),
      )
      expect(item).toMatchObject({ name: 'RENAMED', version: 3, description: 'moved' })

      expect((await me.run(['env', 'secret', 'update', me.ref, 'RENAMED'])).code).toBe(2)
      const both = await me.run(['env', 'secret', 'delete', me.ref, 'RENAMED', '--id', created.id])
      expect(both.code).toBe(2)
      expect((await me.run(['env', 'secret', 'delete', me.ref])).code).toBe(2)

      const deleted = ok(await me.run(['env', 'secret', 'delete', me.ref, '--id', created.id]))
      expect(deleted.stdout).toBe(`Deleted secret RENAMED from ${me.ref}\n`)
      const gone = await me.run(['env', 'secret', 'delete', me.ref, 'RENAMED'])
      expect(gone.code).toBe(4)
      expect(gone.stderr).toContain(`No secret named RENAMED in ${me.ref}`)
      expect(gone.stderr).toContain(`coffer env secret list ${me.ref}`)
      expect(
        (await me.run(['env', 'secret', 'rotate', me.ref, '--id', `c${'0'.repeat(24)}`])).code,
      ).toBe(4)
    })

    it('exits 5 for a name taken by a secret or a variable, 1 for a reserved name', async () => {
      const me = await freshUser()
      ok(await me.run(['env', 'secret', 'create', me.ref, '--name', 'TAKEN', '--value', '-'], 'v'))
      const again = await me.run(
        ['env', 'secret', 'create', me.ref, '--name', 'TAKEN', '--value', '-'],
        'v',
      )
      expect(again.code).toBe(5)
      expect(again.stderr).toContain('A direct secret with the name TAKEN already exists')
      ok(await me.run(['env', 'var', 'set', 'DEBUG', '1', me.ref]))
      const clash = await me.run(
        ['env', 'secret', 'create', me.ref, '--name', 'DEBUG', '--value', '-'],
        'v',
      )
      expect(clash.code).toBe(5)
      expect(clash.stderr).toContain('An environment variable with the name DEBUG already exists')
      const reserved = await me.run(
        ['env', 'secret', 'create', me.ref, '--name', 'COFFER_X', '--value', '-'],
        'v',
      )
      expect(reserved.code).toBe(1)
    })

    it('generates a value printed once on stdout, and rotates it by NAME', async () => {
      const me = await freshUser()
      const generated = ok(
        await me.run([
          'env',
          'secret',
          'generate',
          me.ref,
          '--name',
          'WEBHOOK_SECRET',
          '--length',
          '40',
          '--alphabet',
          'hex',
        ]),
      )
      expect(generated.stdout).toMatch(/^[0-9a-f]{40}\n$/)
      const value = generated.stdout.trim()
      expect(generated.stderr).toMatch(
        new RegExp(
          `^Generated WEBHOOK_SECRET in ${me.ref} \\(id c[a-z0-9]{24}\\)\\. The value is shown once, now; it will not be shown again\\.\\n$`,
        ),
      )
      const [listed] = json<{ hint: string; version: number }[]>(
        await me.run(['--json', 'env', 'secret', 'list', me.ref]),
      )
      expect(listed).toMatchObject({ hint: `…${value.slice(-4)}`, version: 1 })

      const rotated = json<{ value: string; version: number; name: string }>(
        await me.run(['--json', 'env', 'secret', 'rotate', me.ref, 'WEBHOOK_SECRET']),
      )
      expect(rotated).toMatchObject({ name: 'WEBHOOK_SECRET', version: 2 })
      expect(rotated.value).toMatch(/^[0-9a-f]{40}$/)
      expect(rotated.value).not.toBe(value)

      const defaults = ok(
        await me.run(['env', 'secret', 'generate', me.ref, '--name', 'GATEWAY_TOKEN']),
      )
      expect(defaults.stdout).toMatch(/^[A-Za-z0-9_-]{32}\n$/)

      expect(
        (await me.run(['env', 'secret', 'generate', me.ref, '--name', 'X', '--length', '8'])).code,
      ).toBe(2)
      expect(
        (await me.run(['env', 'secret', 'generate', me.ref, '--name', 'X', '--alphabet', 'emoji']))
          .code,
      ).toBe(2)
      // A secret set from a value has nothing to draw: the server refuses, and the CLI says so.
      ok(
        await me.run(
          ['env', 'secret', 'create', me.ref, '--name', 'SET_BY_HAND', '--value', '-'],
          'v',
        ),
      )
      const refused = await me.run(['env', 'secret', 'rotate', me.ref, 'SET_BY_HAND'])
      expect(refused.code).not.toBe(0)
      expect(refused.stdout).toBe('')
    })

    it('links and unlinks a global secret by NAME and by id, and refuses deleting a linked one', async () => {
      const me = await freshUser()
      ok(
        await me.run(
          ['secret', 'create', '--name', 'SHARED_KEY', '--value', '-'],
          'shared-value-0123456789',
        ),
      )
      const linked = ok(await me.run(['env', 'secret', 'link', 'SHARED_KEY', me.ref]))
      expect(linked.stdout).toBe(`Linked global secret SHARED_KEY to ${me.ref}\n`)
      const [item] = json<{ type: string; secretId: string; name: string }[]>(
        await me.run(['--json', 'env', 'secret', 'list', me.ref]),
      )
      expect(item).toMatchObject({
        type: 'linked',
        name: 'SHARED_KEY',
        secretId: expect.stringMatching(ID),
      })
      const table = ok(await me.run(['env', 'secret', 'list', me.ref]))
      expect(table.stdout).toMatch(/^SHARED_KEY\s+linked\s+…6789\s+1\s/m)

      expect((await me.run(['env', 'secret', 'link', 'SHARED_KEY', me.ref])).code).toBe(5)
      const del = await me.run(['env', 'secret', 'delete', me.ref, 'SHARED_KEY'])
      expect(del.code).toBe(5)
      expect(del.stderr).toContain(`coffer env secret unlink ${item?.secretId ?? ''} ${me.ref}`)

      const unlinked = ok(await me.run(['env', 'secret', 'unlink', 'SHARED_KEY', me.ref]))
      expect(unlinked.stdout).toBe(
        `Unlinked global secret SHARED_KEY from ${me.ref} (the global secret stays)\n`,
      )
      ok(await me.run(['env', 'secret', 'link', item?.secretId ?? '', me.ref]))
      ok(await me.run(['env', 'secret', 'unlink', item?.secretId ?? '', me.ref]))
      expect(json(await me.run(['--json', 'env', 'secret', 'list', me.ref]))).toEqual([])
      expect((await me.run(['env', 'secret', 'unlink', 'SHARED_KEY', me.ref])).code).toBe(4)
      expect((await me.run(['env', 'secret', 'link', 'NO_SUCH', me.ref])).code).toBe(4)
    })

    it("links a team's secret to the team's environment, and not to a personal one", async () => {
      const me = await freshUser()
      const slug = uniqueName('cli-env-link')
      expect((await api.as(me.token).post('/api/v1/teams', { slug, name: slug })).status).toBe(201)
      ok(await me.run(['env', 'create', `${slug}/prod`]))
      ok(
        await me.run(
          ['--team', slug, 'secret', 'create', '--name', 'TEAM_KEY', '--value', '-'],
          'v',
        ),
      )
      ok(await me.run(['env', 'secret', 'link', 'TEAM_KEY', `${slug}/prod`]))
      const [item] = json<{ secretId: string }[]>(
        await me.run(['--json', 'env', 'secret', 'list', `${slug}/prod`]),
      )
      // By id across scopes: the server's scope rule answers 404.
      const cross = await me.run(['env', 'secret', 'link', item?.secretId ?? '', me.ref])
      expect(cross.code).toBe(4)
      expect(cross.stderr).toContain('personal secrets link to personal environments')
      // By NAME, a personal environment looks among personal secrets.
      expect((await me.run(['env', 'secret', 'link', 'TEAM_KEY', me.ref])).code).toBe(4)
    })
  })

  describe('variables', () => {
    it('sets (create, then update), lists values, and unsets', async () => {
      const me = await freshUser()
      const created = ok(
        await me.run(['env', 'var', 'set', 'LOG_LEVEL', 'debug', me.ref, '-d', 'verbosity']),
      )
      expect(created.stdout).toBe(`Created variable LOG_LEVEL in ${me.ref}\n`)
      const updated = ok(await me.run(['env', 'var', 'set', 'LOG_LEVEL', 'info', me.ref]))
      expect(updated.stdout).toBe(`Updated variable LOG_LEVEL in ${me.ref}\n`)
      ok(await me.run(['env', 'var', 'set', 'EMPTY', '', me.ref]))
      const table = ok(await me.run(['env', 'var', 'list', me.ref]))
        .stdout.trimEnd()
        .split('\n')
      expect(table[0]).toMatch(/^NAME\s+VALUE\s+SYNCED\s+UPDATED\s+DESCRIPTION$/)
      expect(table[1]).toMatch(new RegExp(`^EMPTY\\s+""\\s+-\\s+${TIME}\\s+-$`))
      expect(table[2]).toMatch(new RegExp(`^LOG_LEVEL\\s+info\\s+-\\s+${TIME}\\s+verbosity$`))
      const listed = json<{ name: string; value: string; description: string }[]>(
        await me.run(['--json', 'env', 'var', 'list', me.ref]),
      )
      expect(listed.map(({ name, value, description }) => ({ name, value, description }))).toEqual([
        { name: 'EMPTY', value: '', description: '' },
        { name: 'LOG_LEVEL', value: 'info', description: 'verbosity' },
      ])
      const unset = ok(await me.run(['env', 'var', 'unset', 'LOG_LEVEL', me.ref]))
      expect(unset.stdout).toBe(`Removed variable LOG_LEVEL from ${me.ref}\n`)
      const again = await me.run(['env', 'var', 'unset', 'LOG_LEVEL', me.ref])
      expect(again.code).toBe(4)
      expect(again.stderr).toContain(`coffer env var list ${me.ref}`)
    })

    it('exits 5 when a secret holds the name, 1 for an invalid name, 2 for missing arguments', async () => {
      const me = await freshUser()
      ok(
        await me.run(['env', 'secret', 'create', me.ref, '--name', 'API_KEY', '--value', '-'], 'v'),
      )
      const clash = await me.run(['env', 'var', 'set', 'API_KEY', 'x', me.ref])
      expect(clash.code).toBe(5)
      expect(clash.stderr).toContain('A direct secret with the name API_KEY already exists')
      expect((await me.run(['env', 'var', 'set', 'lower', 'x', me.ref])).code).toBe(1)
      expect((await me.run(['env', 'var', 'set', 'ONLY_NAME', me.ref])).code).toBe(2)
    })
  })

  describe('explain', () => {
    it('names the winning entry of each name, and exits 4 only when no named NAME is set', async () => {
      const me = await freshUser()
      ok(
        await me.run(['env', 'secret', 'create', me.ref, '--name', 'API_KEY', '--value', '-'], 'v'),
      )
      ok(await me.run(['secret', 'create', '--name', 'SHARED', '--value', '-'], 'v'))
      ok(await me.run(['env', 'secret', 'link', 'SHARED', me.ref]))
      ok(await me.run(['env', 'var', 'set', 'LOG_LEVEL', 'info', me.ref]))

      const all = ok(await me.run(['explain', me.ref]))
        .stdout.trimEnd()
        .split('\n')
      expect(all[0]).toMatch(/^NAME\s+RESULT\s+WINNER\s+SHADOWS$/)
      expect(all.slice(1)).toEqual([
        expect.stringMatching(/^API_KEY\s+injected\s+direct secret c[a-z0-9]{24}\s+-$/),
        expect.stringMatching(/^LOG_LEVEL\s+injected\s+variable c[a-z0-9]{24}\s+-$/),
        expect.stringMatching(/^SHARED\s+injected\s+linked secret c[a-z0-9]{24}\s+-$/),
      ])

      const some = json<{ environment: string; hasRequirements: boolean; names: unknown[] }>(
        await me.run(['--json', 'explain', me.ref, 'SHARED', 'NOT_THERE']),
      )
      expect(some).toEqual({
        environment: me.ref,
        hasRequirements: false,
        names: [
          {
            name: 'SHARED',
            status: 'injected',
            winner: {
              source: 'linked',
              id: expect.stringMatching(ID),
              secretId: expect.stringMatching(ID),
            },
            shadowed: [],
            requirement: null,
          },
          { name: 'NOT_THERE', status: 'not_set', winner: null, shadowed: [], requirement: null },
        ],
      })

      const none = await me.run(['explain', me.ref, 'NOT_THERE', 'NOR_THIS'])
      expect(none.code).toBe(4)
      expect(none.stdout).toMatch(/^NOT_THERE\s+not set\s+-\s+-$/m)
      expect(none.stderr).toContain(`coffer explain ${me.ref}`)
      expect((await me.run(['explain', `${me.username}/nothing`])).code).toBe(4)
    })

    it('names the names an attached provider injects', async () => {
      const me = await freshUser()
      const connection = await api.as(me.token).post('/api/v1/providers', {
        provider: 'custom',
        apiKey: 'sk-custom-0123456789abcdef',
        baseUrl: 'http://127.0.0.1:9/v1',
      })
      expect(connection.status, connection.text).toBe(201)
      const attached = await api
        .as(me.token)
        .post(`/api/v1/environments/${me.ref}/providers`, { connectionId: connection.body.data.id })
      expect(attached.status, attached.text).toBe(201)
      const table = ok(await me.run(['explain', me.ref]))
      expect(table.stdout).toMatch(
        /^OPENAI_API_KEY\s+injected\s+provider custom c[a-z0-9]{24}\s+-$/m,
      )
      expect(table.stdout).toMatch(
        /^OPENAI_BASE_URL\s+injected\s+provider custom c[a-z0-9]{24}\s+-$/m,
      )
      const [row] = json<{ names: { winner: unknown }[] }>(
        await me.run(['--json', 'explain', me.ref, 'OPENAI_API_KEY']),
      ).names
      expect(row?.winner).toEqual({
        source: 'provider',
        id: attached.body.data.id,
        connectionId: connection.body.data.id,
        provider: 'custom',
      })
    })

    it('shows what a winner shadows when data bypassed the conflict rules', async () => {
      const me = await freshUser()
      ok(
        await me.run(['env', 'secret', 'create', me.ref, '--name', 'API_KEY', '--value', '-'], 'v'),
      )
      const variable = json<{ id: string }>(
        await me.run(['--json', 'env', 'var', 'set', 'OLD_NAME', 'from-an-import', me.ref]),
      )
      // As if an older import had written it: a variable holding the direct secret's name.
      const placeholder = engine === 'postgres' ? '$1' : '?'
      await server.sql(`update variables set name = 'API_KEY' where id = ${placeholder}`, [
        variable.id,
      ])

      const result = json<{
        names: { name: string; winner: { source: string }; shadowed: unknown[] }[]
      }>(await me.run(['--json', 'explain', me.ref, 'API_KEY']))
      expect(result.names).toEqual([
        expect.objectContaining({
          name: 'API_KEY',
          winner: expect.objectContaining({ source: 'direct' }),
          shadowed: [{ source: 'variable', id: variable.id }],
        }),
      ])
      const table = ok(await me.run(['explain', me.ref, 'API_KEY']))
      expect(table.stdout).toMatch(
        new RegExp(
          `^API_KEY\\s+injected\\s+direct secret c[a-z0-9]{24}\\s+variable ${variable.id}$`,
          'm',
        ),
      )
    })
  })

  it('never shows a secret value: not in stdout, stderr or the server log', async () => {
    const me = await freshUser()
    const sentinel = `sentinel-${randomBytes(16).toString('hex')}`
    const file = join(files, 'value')
    writeFileSync(file, sentinel)
    const outputs: CliResult[] = []
    const run = async (args: readonly string[], input?: string) => {
      const result = await me.run(args, input)
      outputs.push(result)
      return result
    }
    ok(
      await run(
        ['env', 'secret', 'create', me.ref, '--name', 'CANARY', '--value', '-'],
        `${sentinel}\n`,
      ),
    )
    ok(
      await run(['env', 'secret', 'create', me.ref, '--name', 'CANARY_FILE', '--value-file', file]),
    )
    ok(await run(['env', 'secret', 'list', me.ref]))
    ok(await run(['--json', 'env', 'secret', 'list', me.ref]))
    ok(await run(['env', 'secret', 'update', me.ref, 'CANARY', '--value', '-'], `${sentinel}-2`))
    ok(await run(['--json', 'env', 'secret', 'update', me.ref, 'CANARY', '--value-file', file]))
    ok(await run(['explain', me.ref]))
    ok(await run(['--json', 'explain', me.ref]))
    // Failures that carry the value: a taken name, an invalid name, an unknown environment.
    await run(['env', 'secret', 'create', me.ref, '--name', 'CANARY', '--value', '-'], sentinel)
    await run(['env', 'secret', 'create', me.ref, '--name', 'bad name', '--value', '-'], sentinel)
    await run(
      ['env', 'secret', 'create', `${me.username}/nope`, '--name', 'X', '--value', '-'],
      sentinel,
    )
    await run(['env', 'secret', 'update', me.ref, 'NOPE', '--value', '-'], sentinel)
    ok(await run(['env', 'secret', 'delete', me.ref, 'CANARY']))
    for (const result of outputs) {
      expect(result.stdout).not.toContain(sentinel)
      expect(result.stderr).not.toContain(sentinel)
    }
    expect(server.log()).not.toContain(sentinel)
  })
})
