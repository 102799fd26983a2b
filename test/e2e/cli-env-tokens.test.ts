// `coffer env token` and `coffer env status` as a process against a live server (SPEC.md §1
// "Runtime tokens and sync", §3.3, §3.6, §4): token strings printed once, rotation with and
// without grace, exit 6 while required keys are missing, consumers and unsynced entries.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { expectOk, okJson } from '../support/cli.js'
import { newUserWithApp } from '../support/cli-env.js'
import { Api, adminToken } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const ID = /^c[a-z0-9]{24}$/
const RUNTIME_TOKEN = /^cft_[A-Za-z0-9_-]{43}$/

describe.each(engines)('coffer env token and status (%s)', (engine) => {
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
    files = mkdtempSync(join(tmpdir(), 'coffer-cli-env-tok-'))
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

  describe('tokens', () => {
    it('creates a token printed once, lists, rotates by name and revokes by --id', async () => {
      const me = await freshUser()
      const created = ok(
        await me.run(['env', 'token', 'create', me.ref, '--name', 'ci', '--expires-in', '30d']),
      )
      const token = created.stdout.trim()
      expect(token).toMatch(RUNTIME_TOKEN)
      expect(created.stderr).toContain(`Created runtime token ci for ${me.ref}; it expires`)
      expect(created.stderr).toContain('shown once')
      expect(created.stderr).not.toContain(token)
      expect((await api.as(token).post(`${me.path}/resolve`, {})).status).toBe(200)

      const listed = ok(await me.run(['env', 'token', 'list', me.ref]))
      expect(listed.stdout).toMatch(/^NAME\s+ID\s+CREATED\s+EXPIRES\s+LAST USED\s+LAST REVISION$/m)
      expect(listed.stdout).toMatch(/^ci\s+c[a-z0-9]{24}\s/m)
      expect(listed.stdout).not.toContain('cft_')
      const [item] = json<Record<string, unknown>[]>(
        await me.run(['--json', 'env', 'token', 'list', me.ref]),
      )
      expect(item).toMatchObject({ name: 'ci', id: expect.stringMatching(ID) })
      expect(item).not.toHaveProperty('token')
      const expiresAt = Date.parse(String(item?.expiresAt))
      expect(Math.abs(expiresAt - Date.now() - 30 * 86_400_000)).toBeLessThan(120_000)

      const rotated = ok(await me.run(['env', 'token', 'rotate', me.ref, 'ci']))
      const next = rotated.stdout.trim()
      expect(next).toMatch(RUNTIME_TOKEN)
      expect(next).not.toBe(token)
      expect(rotated.stderr).toContain('the old string stopped working')
      expect((await api.as(token).post(`${me.path}/resolve`, {})).status).toBe(401)
      expect((await api.as(next).post(`${me.path}/resolve`, {})).status).toBe(200)

      const graced = json<{ token: string }>(
        await me.run(['--json', 'env', 'token', 'rotate', me.ref, '--id', 'ci', '--grace', '1h']),
      )
      expect(graced.token).toMatch(RUNTIME_TOKEN)
      expect((await api.as(next).post(`${me.path}/resolve`, {})).status).toBe(200)

      const revoked = ok(await me.run(['env', 'token', 'revoke', me.ref, '--id', String(item?.id)]))
      expect(revoked.stdout).toBe(`Revoked runtime token ci of ${me.ref}\n`)
      expect((await api.as(graced.token).post(`${me.path}/resolve`, {})).status).toBe(401)
      expect(json(await me.run(['--json', 'env', 'token', 'list', me.ref]))).toEqual([])
      expect((await me.run(['env', 'token', 'revoke', me.ref, 'ci'])).code).toBe(4)
    })

    it('exits 2 for a bad duration or a grace over a day, and 2 without a token named', async () => {
      const me = await freshUser()
      const bad = await me.run([
        'env',
        'token',
        'create',
        me.ref,
        '--name',
        'x',
        '--expires-in',
        'soon',
      ])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('30m, 1h, 7d')
      expect((await me.run(['env', 'token', 'rotate', me.ref, 'x', '--grace', '2d'])).code).toBe(2)
      expect((await me.run(['env', 'token', 'revoke', me.ref])).code).toBe(2)
      expect((await me.run(['env', 'token', 'create', me.ref])).code).toBe(2)
    })
  })

  describe('status', () => {
    it('exits 6 from status while required keys are missing, and 0 once they are set', async () => {
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
      ok(await me.run(['env', 'requirements', 'set', me.ref, manifest]))
      ok(await me.run(['env', 'var', 'set', 'LOG_LEVEL', 'info', me.ref]))
      const missing = await me.run(['env', 'status', me.ref])
      expect(missing.code).toBe(6)
      expect(missing.stdout).toMatch(/^missing:\s+OPENAI_API_KEY$/m)
      expect(missing.stdout).toMatch(/^requirements:\s+3 declared, 2 required$/m)
      expect(missing.stderr).toContain('missing required key OPENAI_API_KEY')
      const missingJson = await me.run(['--json', 'env', 'status', me.ref])
      expect(missingJson.code).toBe(6)
      expect(JSON.parse(missingJson.stdout)).toMatchObject({
        revision: expect.any(Number),
        missingRequired: ['OPENAI_API_KEY'],
        consumers: [],
        notSynced: [],
      })

      ok(
        await me.run(
          ['env', 'secret', 'create', me.ref, '--name', 'OPENAI_API_KEY', '--value', '-'],
          'sk-x',
        ),
      )
      const fine = ok(await me.run(['env', 'status', me.ref]))
      expect(fine.stdout).toMatch(/^missing:\s+none$/m)
    })

    it('reports consumers and the entries they have not seen', async () => {
      const me = await freshUser()
      ok(await me.run(['env', 'var', 'set', 'REGION', 'eu', me.ref]))
      ok(
        await me.run(
          ['env', 'secret', 'create', me.ref, '--name', 'API_KEY', '--value', '-'],
          'sk-x',
        ),
      )
      const token = ok(
        await me.run(['env', 'token', 'create', me.ref, '--name', 'agent']),
      ).stdout.trim()
      expect((await api.as(token).post(`${me.path}/resolve`, {})).status).toBe(200)
      const synced = ok(await me.run(['env', 'status', me.ref]))
      expect(synced.stdout).toMatch(/^not synced:\s+none: every consumer has the latest values$/m)
      expect(synced.stdout).toMatch(/^CONSUMER\s+KIND\s+LAST RESOLVED\s+REVISION\s+SYNCED$/m)
      expect(synced.stdout).toMatch(/^agent\s+runtime\s+\S+ \S+\s+\d+\s+yes$/m)

      ok(await me.run(['env', 'secret', 'update', me.ref, 'API_KEY', '--value', '-'], 'sk-y'))
      const behind = json<{ notSynced: string[]; consumers: { name: string; synced: boolean }[] }>(
        await me.run(['--json', 'env', 'status', me.ref]),
      )
      expect(behind.notSynced).toEqual(['API_KEY'])
      expect(behind.consumers).toEqual([expect.objectContaining({ name: 'agent', synced: false })])
      const list = ok(await me.run(['env', 'secret', 'list', me.ref]))
      expect(list.stdout).toMatch(/^API_KEY\s+direct\s+-\s+2\s+no\s/m)
      const vars = ok(await me.run(['env', 'var', 'list', me.ref]))
      expect(vars.stdout).toMatch(/^REGION\s+eu\s+yes\s/m)
    })
  })

  it('never shows a token string in a listing or the server log', async () => {
    const me = await freshUser()
    const created = ok(await me.run(['env', 'token', 'create', me.ref, '--name', 'leak']))
    const token = created.stdout.trim()
    const listed = ok(await me.run(['env', 'token', 'list', me.ref]))
    const listedJson = ok(await me.run(['--json', 'env', 'token', 'list', me.ref]))
    for (const result of [listed, listedJson, ok(await me.run(['env', 'status', me.ref]))]) {
      expect(result.stdout + result.stderr).not.toContain(token)
    }
    expect(server.log()).not.toContain(token)
  })
})
