// Master keys at start-up (SPEC.md §2): the generated key file of the embedded default, the
// keyring, and clear refusals instead of a server that cannot decrypt its own data.
import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Api, adminToken } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const key = () => randomBytes(32).toString('base64')

/** Creates a secret with two versions; a rollback later proves the server can still open it. */
async function plant(server: TestServer): Promise<string> {
  const api = new Api(server)
  const me = api.as(await adminToken(api))
  const { body } = await me.post('/api/v1/secrets/', { name: 'KEPT', value: 'first-version-value' })
  await me.patch(`/api/v1/secrets/${body.data.id}`, { value: 'second-version-value' })
  return body.data.id as string
}

async function canOpen(server: TestServer, id: string): Promise<number> {
  const api = new Api(server)
  const reply = await api
    .as(await adminToken(api))
    .post(`/api/v1/secrets/${id}/rollback`, { version: 1 }, { allow5xx: true })
  return reply.status
}

describe('the embedded default master key file', () => {
  it('is generated once with mode 0600 and reused on restart', async () => {
    const first = await startTestServer('sqlite')
    const path = join(first.dataDir, 'master.key')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path, 'utf8')).toMatch(/^k1:[A-Za-z0-9+/]{43}=\n$/)
    expect(first.log()).toContain('generated a new master key file')
    const id = await plant(first)
    await first.stop({ keepData: true })
    const second = await startTestServer('sqlite', { restartOf: first })
    expect(second.log()).not.toContain('generated a new master key file')
    expect(await canOpen(second, id)).toBe(200)
    await second.stop()
  })

  it('refuses to start when the file is gone but the database holds data', async () => {
    const first = await startTestServer('sqlite')
    await plant(first)
    await first.stop({ keepData: true })
    rmSync(join(first.dataDir, 'master.key'))
    await expect(startTestServer('sqlite', { restartOf: first })).rejects.toThrow(
      /master\.key is missing\. Restore that file/,
    )
  })

  it('refuses a key file other users can read', async () => {
    const first = await startTestServer('sqlite')
    await first.stop({ keepData: true })
    chmodSync(join(first.dataDir, 'master.key'), 0o644)
    await expect(startTestServer('sqlite', { restartOf: first })).rejects.toThrow(/chmod 600/)
  })
})

describe.each(engines)('master keys from the environment (%s)', (engine) => {
  it('opens data under an older key of COFFER_MASTER_KEYS, and refuses a key that cannot', async () => {
    const oldKey = key()
    const first = await startTestServer(engine, { env: { COFFER_MASTER_KEY: oldKey } })
    const id = await plant(first)
    await first.stop({ keepData: true })
    const rotated = await startTestServer(engine, {
      restartOf: first,
      env: { COFFER_MASTER_KEY: '', COFFER_MASTER_KEYS: `new:${key()},k1:${oldKey}` },
    })
    expect(await canOpen(rotated, id)).toBe(200)
    await rotated.stop({ keepData: true })
    await expect(
      startTestServer(engine, { restartOf: rotated, env: { COFFER_MASTER_KEY: key() } }),
    ).rejects.toThrow(/cannot open the stored data keys/)
  })

  it('refuses a malformed key without echoing it', async () => {
    const bad = 'c2hvcnQta2V5LXNlY3JldA=='
    await expect(startTestServer(engine, { env: { COFFER_MASTER_KEY: bad } })).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(bad) }),
    )
  })
})

describe.runIf(engines.includes('postgres'))('PostgreSQL without a master key', () => {
  it('refuses to start: replicas must share one key', async () => {
    await expect(startTestServer('postgres', { env: { COFFER_MASTER_KEY: '' } })).rejects.toThrow(
      /With PostgreSQL, set COFFER_MASTER_KEY/,
    )
  })
})
