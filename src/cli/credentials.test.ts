import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createCredentialStore,
  credentialsPath,
  parseCredentials,
  resolveSession,
  type StoredCredentials,
} from './credentials.js'

const stored: StoredCredentials = {
  server: 'http://coffer.test:9000',
  token: 'cfp_stored',
  username: 'ada',
}

describe('credentialsPath', () => {
  it('uses XDG_CONFIG_HOME when it is absolute', () => {
    expect(credentialsPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/ada' })).toBe(
      '/xdg/coffer/credentials.json',
    )
  })

  it('falls back to ~/.config for a missing or relative XDG_CONFIG_HOME', () => {
    expect(credentialsPath({ HOME: '/home/ada' })).toBe('/home/ada/.config/coffer/credentials.json')
    expect(credentialsPath({ XDG_CONFIG_HOME: 'rel', HOME: '/home/ada' })).toBe(
      '/home/ada/.config/coffer/credentials.json',
    )
  })

  it('asks the system for the home directory when HOME is unset', () => {
    expect(credentialsPath({}, () => '/sys-home')).toBe('/sys-home/.config/coffer/credentials.json')
  })
})

describe('resolveSession', () => {
  it.each([
    {
      when: 'nothing is given: the default server, no token',
      input: { env: {}, stored: undefined },
      server: 'http://127.0.0.1:8080',
      token: undefined,
      source: 'none',
    },
    {
      when: 'only a stored login: its server and token',
      input: { env: {}, stored },
      server: 'http://coffer.test:9000',
      token: 'cfp_stored',
      source: 'credentials',
    },
    {
      when: 'the chosen server is the stored one (trailing slash aside)',
      input: { env: { COFFER_SERVER: 'http://coffer.test:9000/' }, stored },
      server: 'http://coffer.test:9000',
      token: 'cfp_stored',
      source: 'credentials',
    },
    {
      when: 'another server is chosen: the stored token is not sent there',
      input: { flagServer: 'http://other.test', env: {}, stored },
      server: 'http://other.test',
      token: undefined,
      source: 'none',
    },
    {
      when: 'COFFER_TOKEN beats the stored login',
      input: { env: { COFFER_TOKEN: 'cft_env' }, stored },
      server: 'http://coffer.test:9000',
      token: 'cft_env',
      source: 'environment',
    },
    {
      when: '--token beats COFFER_TOKEN',
      input: { flagToken: 'cfp_flag', env: { COFFER_TOKEN: 'cft_env' }, stored },
      server: 'http://coffer.test:9000',
      token: 'cfp_flag',
      source: 'flag',
    },
    {
      when: '--server beats COFFER_SERVER',
      input: {
        flagServer: 'https://flag.test',
        env: { COFFER_SERVER: 'http://env.test', COFFER_TOKEN: 't' },
        stored: undefined,
      },
      server: 'https://flag.test',
      token: 't',
      source: 'environment',
    },
    {
      when: 'empty variables count as unset',
      input: { env: { COFFER_SERVER: '', COFFER_TOKEN: '' }, stored },
      server: 'http://coffer.test:9000',
      token: 'cfp_stored',
      source: 'credentials',
    },
  ])('$when', ({ input, server, token, source }) => {
    const session = resolveSession(input)
    expect(session.server).toBe(server)
    expect(session.token).toBe(token)
    expect(session.tokenSource).toBe(source)
  })

  it('refuses a server URL that is not http(s) with a usage error', () => {
    expect(() => resolveSession({ flagServer: 'ftp://x', env: {}, stored: undefined })).toThrow(
      expect.objectContaining({ code: 'usage' }),
    )
  })
})

describe('parseCredentials', () => {
  it('reads what the store writes', () => {
    expect(parseCredentials(JSON.stringify(stored))).toEqual(stored)
  })

  it.each(['', 'not json', 'null', '{"server":"x","token":1,"username":"a"}'])(
    'treats %j as no login',
    (text) => {
      expect(parseCredentials(text)).toBeUndefined()
    },
  )
})

describe('createCredentialStore', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-credentials-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes the file 0600 in a 0700 directory and reads it back', async () => {
    const path = join(dir, 'config', 'coffer', 'credentials.json')
    const store = createCredentialStore(path)
    await store.write(stored)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'config', 'coffer')).mode & 0o777).toBe(0o700)
    expect(await store.read()).toEqual(stored)
  })

  it('tightens an existing directory and replaces an existing file', async () => {
    const folder = join(dir, 'coffer')
    mkdirSync(folder, { mode: 0o755 })
    const path = join(folder, 'credentials.json')
    writeFileSync(path, '{}', { mode: 0o644 })
    const store = createCredentialStore(path)
    await store.write(stored)
    expect(statSync(folder).mode & 0o777).toBe(0o700)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(stored)
  })

  it('reports no login for a missing file and removes only once', async () => {
    const store = createCredentialStore(join(dir, 'coffer', 'credentials.json'))
    expect(await store.read()).toBeUndefined()
    await store.write(stored)
    expect(await store.remove()).toBe(true)
    expect(await store.remove()).toBe(false)
    expect(await store.read()).toBeUndefined()
  })
})
