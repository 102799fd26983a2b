// `coffer login | logout | whoami | admin create-user` as a process against a live server
// (SPEC.md §4): stored credentials, exit codes, and errors that say what to do next.
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCliHome, expectExitCode, runCli } from '../support/cli.js'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { ADMIN_PASSWORD, startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()

describe.each(engines)('coffer login, logout, whoami (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())

  /** One person's machine: a home directory whose login the runs share. */
  function machine() {
    const home = createCliHome()
    const run = (args: readonly string[], input?: string) =>
      runCli(args, { env: home.env, ...(input !== undefined && { input }) })
    const credentialsFile = join(home.configHome, 'coffer', 'credentials.json')
    return { home, run, credentialsFile }
  }

  it('logs in with --password-stdin, stores a 0600 file, and whoami answers', async () => {
    const { home, run, credentialsFile } = machine()
    try {
      const login = await run(
        ['--server', server.url, 'login', '--username', 'admin', '--password-stdin'],
        `${ADMIN_PASSWORD}\n`,
      )
      expect(login).toMatchObject({ code: 0, stdout: `Logged in as admin on ${server.url}\n` })
      expect(statSync(credentialsFile).mode & 0o777).toBe(0o600)
      expect(statSync(join(home.configHome, 'coffer')).mode & 0o777).toBe(0o700)
      const stored = JSON.parse(readFileSync(credentialsFile, 'utf8'))
      expect(stored).toEqual({
        server: server.url,
        token: expect.stringMatching(/^cfp_/),
        username: 'admin',
      })
      expect(login.stdout + login.stderr).not.toContain(stored.token)

      // No --server: the stored login says where.
      const whoami = await run(['whoami'])
      expectExitCode(whoami, 0)
      expect(whoami.stdout).toContain(`admin on ${server.url} (instance admin)`)
      expect(whoami.stdout + whoami.stderr).not.toContain(stored.token)

      const json = await run(['whoami', '--json'])
      expect(JSON.parse(json.stdout)).toMatchObject({
        user: { username: 'admin', isAdmin: true },
        teams: [],
      })
    } finally {
      home.remove()
    }
  })

  it('keeps the token out of stdout with --json', async () => {
    const { home, run, credentialsFile } = machine()
    try {
      const login = await run(
        ['--server', server.url, '--json', 'login', '--username', 'admin', '--password-stdin'],
        ADMIN_PASSWORD,
      )
      expectExitCode(login, 0)
      expect(JSON.parse(login.stdout)).toMatchObject({
        server: server.url,
        user: { username: 'admin' },
      })
      const { token } = JSON.parse(readFileSync(credentialsFile, 'utf8'))
      expect(login.stdout).not.toContain(token)
    } finally {
      home.remove()
    }
  })

  it('exits 3 on a wrong password and stores nothing', async () => {
    const { home, run, credentialsFile } = machine()
    try {
      const login = await run(
        ['--server', server.url, 'login', '--username', 'admin', '--password-stdin'],
        'not-the-password\n',
      )
      expect(login.code).toBe(3)
      expect(login.stderr).toMatch(/^coffer: /)
      expect(login.stderr).not.toContain('not-the-password')
      expect(() => statSync(credentialsFile)).toThrow()
    } finally {
      home.remove()
    }
  })

  it('logs out: the token is revoked and the credentials file removed', async () => {
    const { home, run, credentialsFile } = machine()
    try {
      await run(
        ['--server', server.url, 'login', '--username', 'admin', '--password-stdin'],
        ADMIN_PASSWORD,
      )
      const { token } = JSON.parse(readFileSync(credentialsFile, 'utf8'))
      const logout = await run(['logout'])
      expect(logout).toMatchObject({ code: 0, stdout: `Logged out of ${server.url}\n` })
      expect(() => statSync(credentialsFile)).toThrow()
      expect((await api.as(token).get('/api/v1/me')).status).toBe(401)

      const whoami = await run(['--server', server.url, 'whoami'])
      expect(whoami.code).toBe(3)
    } finally {
      home.remove()
    }
  })

  it('removes the stored login even when the server already revoked its token', async () => {
    const { home, run, credentialsFile } = machine()
    try {
      await run(
        ['--server', server.url, 'login', '--username', 'admin', '--password-stdin'],
        ADMIN_PASSWORD,
      )
      const { token } = JSON.parse(readFileSync(credentialsFile, 'utf8'))
      expect((await api.as(token).post('/api/v1/auth/logout')).status).toBeLessThan(300)
      const logout = await run(['logout'])
      expectExitCode(logout, 0)
      expect(() => statSync(credentialsFile)).toThrow()
    } finally {
      home.remove()
    }
  })

  it('exits 3 with a hint to log in when there is no token', async () => {
    const result = await runCli(['--server', server.url, 'secret', 'list'])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(`coffer: Not logged in to ${server.url}`)
    expect(result.stderr).toContain('coffer login')
  })

  it('exits 3 with a hint for a revoked or unknown token', async () => {
    const result = await runCli(['whoami'], {
      env: { COFFER_SERVER: server.url, COFFER_TOKEN: 'cfp_not-a-real-token' },
    })
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('coffer login')
    expect(result.stderr).not.toContain('cfp_not-a-real-token')
  })

  it('exits 1 naming the URL when the server is unreachable', async () => {
    const result = await runCli(['--server', 'http://127.0.0.1:1', '--token', 'cfp_x', 'whoami'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('Cannot reach the Coffer server at http://127.0.0.1:1')
    expect(result.stderr).toContain('coffer server')
  })

  it('exits 2 on an unknown flag and points at --help', async () => {
    const result = await runCli(['--server', server.url, 'whoami', '--frobnicate'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("unknown option '--frobnicate'")
    expect(result.stderr).toContain('coffer whoami --help')
  })

  it('exits 2 when no password can be read', async () => {
    const result = await runCli(['--server', server.url, 'login', '--username', 'admin'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--password-stdin')
  })

  it('exits 0 with --help', async () => {
    const result = await runCli(['secret', 'create', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('--value-file')
  })

  it('creates a user as instance admin, and that user logs in', async () => {
    const username = uniqueName('cli-user')
    const password = `pw-${username}-long`
    const created = await runCli(['admin', 'create-user', username, '--password-stdin'], {
      env: { COFFER_SERVER: server.url, COFFER_TOKEN: admin },
      input: `${password}\n`,
    })
    expectExitCode(created, 0)
    expect(created.stdout).toContain(`Created user ${username}`)
    expect(created.stdout + created.stderr).not.toContain(password)

    const { home, run } = machine()
    try {
      const login = await run(
        ['--server', server.url, 'login', '--username', username, '--password-stdin'],
        password,
      )
      expectExitCode(login, 0)
      const whoami = await run(['whoami'])
      expect(whoami.stdout).toContain(`${username} on ${server.url}`)
      expect(whoami.stdout).not.toContain('instance admin')
    } finally {
      home.remove()
    }
  })

  it('refuses create-user to someone who is not an instance admin', async () => {
    const user = await newUser(api, admin, 'cli-plain')
    const result = await runCli(['admin', 'create-user', uniqueName('x'), '--password-stdin'], {
      env: { COFFER_SERVER: server.url, COFFER_TOKEN: user.token },
      input: 'a-long-enough-password',
    })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/^coffer: /)
  })
})
