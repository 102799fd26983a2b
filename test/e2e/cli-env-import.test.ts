// `coffer env import`, `coffer env requirements` and `coffer explain` with stored requirements,
// as a process against a live server (SPEC.md §1 "Requirements", §3.6, §4): all-or-nothing
// imports and their conflict rules, manifests by line, --json shapes, and no value in any output.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { expectOk, okJson } from '../support/cli.js'
import { newUserWithApp } from '../support/cli-env.js'
import { Api, adminToken } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()

describe.each(engines)('coffer env import and requirements (%s)', (engine) => {
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
    files = mkdtempSync(join(tmpdir(), 'coffer-cli-env-imp-'))
  })
  afterEach(() => {
    rmSync(files, { recursive: true, force: true })
  })

  const freshUser = () => newUserWithApp(api, admin, server, 'cli-envrt')
  const ok = expectOk
  const json = okJson
  const write = (name: string, text: string): string => {
    const file = join(files, name)
    writeFileSync(file, text)
    return file
  }

  describe('import', () => {
    it('imports a .env as secrets, then fails, skips or overwrites on conflicts', async () => {
      const me = await freshUser()
      const file = write(
        'app.env',
        [
          '# a comment',
          'export API_KEY=sk-0123456789abcdefWXYZ',
          'GREETING="hello world"',
          "MULTI='line one",
          "line two'",
          '',
        ].join('\n'),
      )
      const first = ok(await me.run(['env', 'import', me.ref, file]))
      expect(first.stdout).toBe(
        [
          `Imported ${file} into ${me.ref} as secrets`,
          '  created 3: API_KEY, GREETING, MULTI',
          '  updated 0',
          '  skipped 0',
          '',
        ].join('\n'),
      )
      const listed = json<{ name: string; type: string; hint: string | null }[]>(
        await me.run(['--json', 'env', 'secret', 'list', me.ref]),
      )
      expect(listed.map((entry) => [entry.name, entry.type])).toEqual([
        ['API_KEY', 'direct'],
        ['GREETING', 'direct'],
        ['MULTI', 'direct'],
      ])
      expect(listed[0]?.hint).toBe('…WXYZ')

      const conflict = await me.run(['env', 'import', me.ref, file])
      expect(conflict.code).toBe(5)
      expect(conflict.stderr).toContain('API_KEY')
      const skipped = json<{ created: string[]; updated: string[]; skipped: string[] }>(
        await me.run(['--json', 'env', 'import', me.ref, file, '--on-conflict', 'skip']),
      )
      expect(skipped).toMatchObject({
        created: [],
        updated: [],
        skipped: ['API_KEY', 'GREETING', 'MULTI'],
      })
      const overwritten = ok(
        await me.run(['env', 'import', me.ref, file, '--on-conflict', 'overwrite']),
      )
      expect(overwritten.stdout).toContain('  updated 3: API_KEY, GREETING, MULTI')
      const [again] = json<{ version: number }[]>(
        await me.run(['--json', 'env', 'secret', 'list', me.ref]),
      )
      expect(again?.version).toBe(2)
    })

    it('imports variables, warns about duplicate keys, and refuses bad files', async () => {
      const me = await freshUser()
      const file = write('vars.env', 'LOG_LEVEL=debug\nREGION=eu\nLOG_LEVEL=info\n')
      const imported = ok(await me.run(['env', 'import', me.ref, file, '--as', 'variable']))
      expect(imported.stdout).toContain(`as variables`)
      expect(imported.stderr).toContain('LOG_LEVEL (lines 1, 3)')
      const variables = json<{ name: string; value: string }[]>(
        await me.run(['--json', 'env', 'var', 'list', me.ref]),
      )
      expect(variables.map(({ name, value }) => [name, value])).toEqual([
        ['LOG_LEVEL', 'info'],
        ['REGION', 'eu'],
      ])

      const invalid = await me.run([
        'env',
        'import',
        me.ref,
        write('bad.env', 'lower=x\nCOFFER_TOKEN=y\n'),
      ])
      expect(invalid.code).toBe(1)
      expect(invalid.stderr).toMatch(/line 1/)
      const missing = await me.run(['env', 'import', me.ref, join(files, 'nope.env')])
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain('ENOENT')
      expect((await me.run(['env', 'import', me.ref, file, '--as', 'provider'])).code).toBe(2)
      expect((await me.run(['env', 'import', me.ref, file, '--on-conflict', 'merge'])).code).toBe(2)
      expect((await me.run(['env', 'import', `${me.username}/nope`, file])).code).toBe(4)
    })
  })

  describe('requirements and explain', () => {
    it('stores requirements from coffer.yaml, and explain applies them', async () => {
      const me = await freshUser()
      const manifest = write(
        'coffer.yaml',
        [
          `environment: ${me.ref}`,
          'requirements:',
          '  secrets:',
          '    - key: OPENAI_API_KEY',
          '      description: For GPT-4 API calls',
          '    - key: DATABASE_URL',
          '      optional: true',
          '    - key: LOG_LEVEL',
          '',
        ].join('\n'),
      )
      const set = ok(await me.run(['env', 'requirements', 'set', me.ref, manifest]))
      expect(set.stdout).toContain(`Stored 3 requirement(s) for ${me.ref}`)
      expect(set.stdout).toMatch(/^OPENAI_API_KEY\s+required\s+For GPT-4 API calls$/m)
      expect(set.stdout).toMatch(/^DATABASE_URL\s+optional\s+-$/m)
      const stored = json<{ secrets: unknown[] }>(
        await me.run(['--json', 'env', 'requirements', 'get', me.ref]),
      )
      expect(stored.secrets).toEqual([
        { key: 'OPENAI_API_KEY', description: 'For GPT-4 API calls', optional: false },
        { key: 'DATABASE_URL', optional: true },
        { key: 'LOG_LEVEL', optional: false },
      ])

      ok(await me.run(['env', 'var', 'set', 'LOG_LEVEL', 'info', me.ref]))
      ok(await me.run(['env', 'var', 'set', 'UNDECLARED', 'x', me.ref]))
      const explained = await me.run(['--json', 'explain', me.ref])
      expect(JSON.parse(ok(explained).stdout)).toMatchObject({
        hasRequirements: true,
        names: [
          { name: 'DATABASE_URL', status: 'not_set', requirement: 'optional' },
          { name: 'LOG_LEVEL', status: 'injected', requirement: 'required' },
          { name: 'OPENAI_API_KEY', status: 'missing', requirement: 'required' },
          { name: 'UNDECLARED', status: 'filtered', requirement: null },
        ],
      })
      const table = ok(await me.run(['explain', me.ref, 'UNDECLARED', 'OPENAI_API_KEY']))
      expect(table.stdout).toMatch(/^UNDECLARED\s+not injected: not in the requirements\s/m)
      expect(table.stdout).toMatch(/^OPENAI_API_KEY\s+MISSING: required\s+-\s+-$/m)

      // An app.yaml whose requirements list nothing clears them: every name is injected again.
      const appYaml = write('app.yaml', 'name: support-agent\nrequirements:\n  secrets: []\n')
      const cleared = ok(await me.run(['env', 'requirements', 'set', me.ref, appYaml]))
      expect(cleared.stdout).toBe(`Cleared the requirements of ${me.ref}: every name is injected\n`)
      const after = json<{ hasRequirements: boolean; names: { status: string }[] }>(
        await me.run(['--json', 'explain', me.ref, 'UNDECLARED']),
      )
      expect(after).toMatchObject({ hasRequirements: false, names: [{ status: 'injected' }] })
    })

    it('refuses a manifest with problems, naming the line, and reads an unreadable file as exit 1', async () => {
      const me = await freshUser()
      const bad = write('coffer.yaml', 'requirements:\n  secrets:\n    - key: lower_case\n')
      const refused = await me.run(['env', 'requirements', 'set', me.ref, bad])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain('line 3')
      expect(
        (await me.run(['env', 'requirements', 'set', me.ref, join(files, 'none.yaml')])).code,
      ).toBe(1)
      const empty = ok(await me.run(['env', 'requirements', 'get', me.ref]))
      expect(empty.stderr).toContain('stores no requirements')
    })
  })

  it('never shows a secret value from an import in stdout, stderr or the server log', async () => {
    const me = await freshUser()
    const sentinel = `sentinel-${randomBytes(16).toString('hex')}`
    const file = write('leak.env', `CANARY=${sentinel}\n`)
    const outputs = [
      ok(await me.run(['env', 'import', me.ref, file])),
      await me.run(['env', 'import', me.ref, file]),
      ok(await me.run(['--json', 'env', 'import', me.ref, file, '--on-conflict', 'overwrite'])),
      await me.run(['env', 'import', me.ref, write('bad.env', `bad-name=${sentinel}\n`)]),
      ok(await me.run(['env', 'secret', 'list', me.ref])),
      ok(await me.run(['explain', me.ref])),
    ]
    for (const result of outputs) {
      expect(result.stdout).not.toContain(sentinel)
      expect(result.stderr).not.toContain(sentinel)
    }
    expect(server.log()).not.toContain(sentinel)
  })
})
