// `coffer run` as a process against a live server (SPEC.md §4 "coffer run", §1 requirements):
// what the child sees, selective injection, missing keys, exit codes, signals, masking, watch,
// dry runs, the fallback snapshot — and that no value reaches argv or the disk.
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { spawn } from 'node:child_process'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCliHome, expectExitCode, runCli, startCli, type CliHome } from '../support/cli.js'
import { Api, adminToken, newUser, uniqueName } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()
const NODE = process.execPath

/** A child that prints the named variables of its environment as JSON. */
const PRINT_ENV = `process.stdout.write(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((n) => [n, process.env[n] ?? null]))))`

describe.each(engines)('coffer run (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let admin: string
  let dir: string
  let home: CliHome

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    admin = await adminToken(api)
  })
  afterAll(() => server.stop())
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-run-cwd-'))
    home = createCliHome()
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
    home.remove()
  })

  /** A user with a personal environment holding a direct secret, a variable and a linked
   *  global secret; `run` calls the CLI with the user's token in COFFER_TOKEN. */
  async function environment() {
    const user = await newUser(api, admin, 'run')
    const me = api.as(user.token)
    const name = uniqueName('app')
    const ref = `${user.username}/${name}`
    const base = `/api/v1/environments/${ref}`
    expect((await me.post('/api/v1/environments', { owner: user.username, name })).status).toBe(201)
    const secrets = {
      API_KEY: `sk-${uniqueName('direct')}-value`,
      GLOBAL_TOKEN: `gt-${uniqueName('linked')}-value`,
    }
    const direct = await me.post(`${base}/secrets`, { name: 'API_KEY', value: secrets.API_KEY })
    expect(direct.status, direct.text).toBe(201)
    expect((await me.post(`${base}/variables`, { name: 'MODE', value: 'production' })).status).toBe(
      201,
    )
    const global = await me.post('/api/v1/secrets/', {
      name: 'GLOBAL_TOKEN',
      value: secrets.GLOBAL_TOKEN,
    })
    expect(global.status, global.text).toBe(200)
    expect((await me.post(`${base}/links`, { secretId: global.body.data.id })).status).toBe(201)
    const env = { COFFER_SERVER: server.url, COFFER_TOKEN: user.token, ...home.env }
    const run = (args: readonly string[], extra: Record<string, string> = {}) =>
      runCli(['run', ...args], { env: { ...env, ...extra }, cwd: dir })
    return { user, me, ref, base, secrets, env, run, directId: direct.body.data.id as string }
  }

  it('gives the child every resolved name, the resolved values winning over inherited ones', async () => {
    const { ref, secrets, run } = await environment()
    const result = expectExitCode(
      await run(
        [
          '--env',
          ref,
          '--',
          NODE,
          '-e',
          PRINT_ENV,
          'API_KEY',
          'GLOBAL_TOKEN',
          'MODE',
          'COFFER_TOKEN',
        ],
        {
          MODE: 'inherited',
        },
      ),
      0,
    )
    expect(JSON.parse(result.stdout)).toEqual({
      API_KEY: secrets.API_KEY,
      GLOBAL_TOKEN: secrets.GLOBAL_TOKEN,
      MODE: 'production',
      // Security: coffer's own credential does not reach the child.
      COFFER_TOKEN: null,
    })
    expect(result.stderr).not.toContain(secrets.API_KEY)

    const kept = expectExitCode(
      await run(['--env', ref, '--no-override', '--', NODE, '-e', PRINT_ENV, 'MODE', 'API_KEY'], {
        MODE: 'inherited',
      }),
      0,
    )
    expect(JSON.parse(kept.stdout)).toEqual({ MODE: 'inherited', API_KEY: secrets.API_KEY })
  })

  it('injects only what coffer.yaml declares, and refuses to start when required keys are missing', async () => {
    const { ref, secrets, run } = await environment()
    writeFileSync(
      join(dir, 'coffer.yaml'),
      `environment: ${ref}\nrequirements:\n  secrets:\n    - key: API_KEY\n    - key: OPTIONAL_ONE\n      optional: true\n`,
    )
    const selective = expectExitCode(
      await run(['--', NODE, '-e', PRINT_ENV, 'API_KEY', 'MODE', 'GLOBAL_TOKEN', 'OPTIONAL_ONE']),
      0,
    )
    expect(JSON.parse(selective.stdout)).toEqual({
      API_KEY: secrets.API_KEY,
      MODE: null,
      GLOBAL_TOKEN: null,
      OPTIONAL_ONE: null,
    })

    // app.yaml in inference.sh's shape, named with --manifest; the child would leave a marker.
    writeFileSync(
      join(dir, 'app.yaml'),
      'name: agent\nrequirements:\n  secrets:\n    - key: API_KEY\n    - key: MISSING_ONE\n      description: needed\n    - key: MISSING_TWO\n',
    )
    const marker = join(dir, 'started')
    const missing = await run([
      '--env',
      ref,
      '--manifest',
      'app.yaml',
      '--',
      NODE,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`,
    ])
    expectExitCode(missing, 6)
    expect(missing.stderr).toMatch(/MISSING_ONE, MISSING_TWO/)
    expect(existsSync(marker)).toBe(false)

    const dry = await run(['--env', ref, '--manifest', 'app.yaml', '--dry-run'])
    expectExitCode(dry, 6)
    expect(dry.stderr).toMatch(/MISSING_ONE, MISSING_TWO/)
  })

  it('dry runs print names and sources, never values', async () => {
    const { ref, secrets, run, env } = await environment()
    const human = expectExitCode(await run(['--env', ref, '--dry-run']), 0)
    expect(human.stdout).toMatch(/API_KEY\s+direct/)
    expect(human.stdout).toMatch(/GLOBAL_TOKEN\s+linked/)
    expect(human.stdout).toMatch(/MODE\s+variable/)
    const json = expectExitCode(
      await runCli(['--json', 'run', '--env', ref, '--dry-run'], { env, cwd: dir }),
      0,
    )
    expect(JSON.parse(json.stdout)).toMatchObject({
      environment: ref,
      sources: { API_KEY: 'direct', GLOBAL_TOKEN: 'linked', MODE: 'variable' },
    })
    for (const output of [human.stdout + human.stderr, json.stdout + json.stderr]) {
      expect(output).not.toContain(secrets.API_KEY)
      expect(output).not.toContain(secrets.GLOBAL_TOKEN)
    }
  })

  it("exits with the child's code, 128 + signal when it is killed, 127 when it does not exist", async () => {
    const { ref, run } = await environment()
    expectExitCode(await run(['--env', ref, '--', 'sh', '-c', 'exit 3']), 3)
    expectExitCode(await run(['--env', ref, '--', 'sh', '-c', 'kill -TERM $$']), 143)
    const notFound = await run(['--env', ref, '--', 'no-such-program-coffer-test'])
    expectExitCode(notFound, 127)
    expect(notFound.stderr).toMatch(/command not found: no-such-program-coffer-test/)
  })

  it('forwards signals, exits with the child, leaves no process behind, and keeps values out of argv', async () => {
    const { ref, env, secrets } = await environment()
    const pidFile = join(dir, 'child.pid')
    const script = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); const timer = setInterval(() => {}, 1000); process.on('SIGTERM', () => { console.log('got TERM'); process.exitCode = 42; clearInterval(timer) }); console.log('ready')`
    const running = startCli(['run', '--env', ref, '--', NODE, '-e', script], { env, cwd: dir })
    await running.waitFor(/ready/)
    const childPid = Number(readFileSync(pidFile, 'utf8'))
    for (const pid of [running.pid, childPid]) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      expect(argv).not.toContain(secrets.API_KEY)
      expect(argv).not.toContain(secrets.GLOBAL_TOKEN)
    }
    running.signal('SIGTERM')
    const result = await running.exited
    expectExitCode(result, 42)
    expect(result.stdout).toContain('got TERM')
    expect(isAlive(childPid)).toBe(false)
  })

  it('forwards INT, HUP and QUIT as well, and exits with what the child made of them', async () => {
    const { ref, env } = await environment()
    const script = `const timer = setInterval(() => {}, 1000); for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT']) process.on(s, () => { console.log('got ' + s); process.exitCode = 10; clearInterval(timer) }); console.log('ready')`
    for (const signal of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const) {
      const running = startCli(['run', '--env', ref, '--', NODE, '-e', script], { env, cwd: dir })
      await running.waitFor(/ready/)
      running.signal(signal)
      const result = await running.exited
      expectExitCode(result, 10)
      expect(result.stdout).toContain(`got ${signal}`)
    }
  })

  it('keeps a terminal a terminal: the child sees a TTY on stdout', async () => {
    const { ref, env } = await environment()
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'coffer.js')
    const inner = [
      NODE,
      bin,
      'run',
      '--env',
      ref,
      '--',
      NODE,
      '-e',
      'console.log("tty=" + process.stdout.isTTY)',
    ]
    // util-linux `script` runs the command on a pseudo-terminal.
    const result = await runCommand(
      'script',
      ['-qec', inner.map(shellQuote).join(' '), '/dev/null'],
      env,
    )
    expect(result.stdout).toContain('tty=true')
  })

  it('leaves no child behind when coffer itself is SIGKILLed', async () => {
    const { ref, env } = await environment()
    const pidFile = join(dir, 'child.pid')
    // The child ignores TERM and INT: only the kernel's parent-death KILL can end it.
    const script = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); process.on('SIGTERM', () => {}); process.on('SIGINT', () => {}); console.log('ready'); setInterval(() => {}, 1000)`
    const running = startCli(['run', '--env', ref, '--', NODE, '-e', script], { env, cwd: dir })
    await running.waitFor(/ready/)
    const childPid = Number(readFileSync(pidFile, 'utf8'))
    expect(readFileSync(`/proc/${childPid}/cmdline`, 'utf8').split('\0')[0]).toBe(NODE)
    expect(isRunning(childPid)).toBe(true)
    running.signal('SIGKILL')
    await running.exited
    await until(() => !isRunning(childPid), 5_000)
  })

  it('lets Ctrl-C at a terminal reach the child once, not twice', async () => {
    const { ref, env } = await environment()
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'coffer.js')
    // Counts the INTs it gets in the half second after the first one.
    const script = `let count = 0; process.on('SIGINT', () => { if (count++ === 0) setTimeout(() => { console.log('sigints=' + count); clearInterval(timer) }, 500) }); console.log('ready'); const timer = setInterval(() => {}, 1000)`
    const inner = ['exec', NODE, bin, 'run', '--env', ref, '--', NODE, '-e', script]
    // util-linux `script` runs coffer on a pseudo-terminal, as its foreground process group; a
    // ^C written to the terminal makes the kernel send INT to that whole group.
    const terminal = spawn('script', ['-qec', inner.map(shellQuote).join(' '), '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let stdout = ''
    terminal.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const exited = new Promise<number | null>((resolve) => terminal.on('close', resolve))
    await until(() => stdout.includes('ready'), 15_000)
    terminal.stdin.write('\x03')
    expect(await exited).toBe(0)
    expect(stdout).toContain('sigints=1')
  })

  it('exits 126 with a clear message when CMD is not executable', async () => {
    const { ref, run } = await environment()
    writeFileSync(join(dir, 'not-executable.sh'), 'echo never\n', { mode: 0o644 })
    const result = await run(['--env', ref, '--', './not-executable.sh'])
    expectExitCode(result, 126)
    expect(result.stderr).toMatch(/permission denied: \.\/not-executable\.sh is not executable/)
    expect(result.stdout).not.toContain('never')
  })

  it('masks secret values and their encodings across chunk boundaries, not variables', async () => {
    const { ref, secrets, run } = await environment()
    const value = secrets.API_KEY
    const half = Math.floor(value.length / 2)
    // Writes the value in two pieces with a pause between, then its base64, then a variable.
    const script = [
      `process.stdout.write('a=' + ${JSON.stringify(value.slice(0, half))})`,
      `setTimeout(() => {`,
      `  process.stdout.write(${JSON.stringify(value.slice(half))} + '\\n')`,
      `  process.stdout.write('b=' + Buffer.from(process.env.API_KEY).toString('base64') + '\\n')`,
      `  process.stderr.write('c=' + encodeURIComponent(process.env.GLOBAL_TOKEN) + '\\n')`,
      `  process.stdout.write('mode=' + process.env.MODE + '\\n')`,
      `}, 200)`,
    ].join('\n')
    const result = expectExitCode(await run(['--env', ref, '--mask', '--', NODE, '-e', script]), 0)
    expect(result.stdout).toBe('a=[masked:API_KEY]\nb=[masked:API_KEY]\nmode=production\n')
    expect(result.stderr).toBe('c=[masked:GLOBAL_TOKEN]\n')
  })

  it('restarts the child within 2 s of a change with --watch, printing names only', async () => {
    const { ref, env, me, base, directId } = await environment()
    const script = `console.log('value ' + process.env.API_KEY); setInterval(() => {}, 1000)`
    const running = startCli(['run', '--env', ref, '--watch', '--', NODE, '-e', script], {
      env,
      cwd: dir,
    })
    try {
      await running.waitFor(/value sk-/)
      const changedAt = Date.now()
      const update = await me.patch(`${base}/secrets/${directId}`, { value: 'sk-rotated-value' })
      expect(update.status, update.text).toBe(200)
      await running.waitFor(/value sk-rotated-value/, 5_000)
      expect(Date.now() - changedAt).toBeLessThan(2_000)
      expect(running.stderr()).toMatch(/changed API_KEY/)
      expect(running.stderr()).not.toContain('sk-rotated-value')
    } finally {
      running.signal('SIGTERM')
      await running.exited
    }
  })

  it('keeps the child running while the server is away with --watch, and picks up changes after', async () => {
    const { ref, env, me, base, directId } = await environment()
    const proxy = await tcpProxy(new URL(server.url))
    const script = `console.log('value ' + process.env.API_KEY + ' pid ' + process.pid); setInterval(() => {}, 1000)`
    const running = startCli(['run', '--env', ref, '--watch', '--', NODE, '-e', script], {
      env: { ...env, COFFER_SERVER: proxy.url },
      cwd: dir,
    })
    let second: Awaited<ReturnType<typeof tcpProxy>> | undefined
    try {
      await running.waitFor(/value sk-\S+ pid \d+/)
      const pid = Number(/pid (\d+)/.exec(running.stdout())?.[1])
      await proxy.close()
      await running.waitFor(/lost .* retrying/, 10_000)
      expect(isAlive(pid)).toBe(true)
      second = await tcpProxy(new URL(server.url), Number(new URL(proxy.url).port))
      const update = await me.patch(`${base}/secrets/${directId}`, { value: 'sk-after-restart' })
      expect(update.status, update.text).toBe(200)
      await running.waitFor(/value sk-after-restart/, 15_000)
      expect(running.stderr().match(/lost /g)).toHaveLength(1)
      expect(isAlive(pid)).toBe(false)
    } finally {
      running.signal('SIGTERM')
      await running.exited
      await second?.close()
    }
  })

  it('runs from an encrypted fallback snapshot when the server is gone, and fails fast without one', async () => {
    const { ref, env, secrets } = await environment()
    // The CLI talks to the server through a proxy, so "the server is gone" keeps its URL.
    const proxy = await tcpProxy(new URL(server.url))
    const viaProxy = { ...env, COFFER_SERVER: proxy.url }
    const fallback = join(dir, 'snapshot.json')
    const args = [
      'run',
      '--env',
      ref,
      '--fallback',
      fallback,
      '--',
      NODE,
      '-e',
      PRINT_ENV,
      'API_KEY',
    ]
    expectExitCode(await runCli(args, { env: viaProxy, cwd: dir }), 0)
    expect(statSync(fallback).mode & 0o777).toBe(0o600)
    expect(readFileSync(fallback, 'utf8')).not.toContain(secrets.API_KEY)
    await proxy.close()

    const offline = expectExitCode(await runCli(args, { env: viaProxy, cwd: dir }), 0)
    expect(JSON.parse(offline.stdout)).toEqual({ API_KEY: secrets.API_KEY })
    expect(offline.stderr).toMatch(/running from the fallback snapshot/)
    // Another token cannot open it.
    const stranger = await runCli(args, {
      env: { ...viaProxy, COFFER_TOKEN: `cfp_${'x'.repeat(43)}` },
      cwd: dir,
    })
    expectExitCode(stranger, 1)
    expect(stranger.stdout).toBe('')

    const fast = await runCli(['run', '--env', ref, '--', 'true'], { env: viaProxy, cwd: dir })
    expectExitCode(fast, 1)
    expect(fast.stderr).toContain(proxy.url)
  })

  it('says what to do when no environment is named or nobody is logged in', async () => {
    const noEnv = await runCli(['run', '--', 'true'], {
      env: { COFFER_SERVER: server.url, COFFER_TOKEN: 'cfp_x', ...home.env },
      cwd: dir,
    })
    expectExitCode(noEnv, 2)
    expect(noEnv.stderr).toMatch(/--env owner\/name/)
    const anonymous = await runCli(['run', '--env', 'someone/app', '--', 'true'], {
      env: { COFFER_SERVER: server.url, ...home.env },
      cwd: dir,
    })
    expectExitCode(anonymous, 3)
    expect(anonymous.stderr).toMatch(/coffer login|COFFER_TOKEN/)
  })

  it('leaves no value on disk in HOME or the working directory', async () => {
    const { ref, secrets, run } = await environment()
    expectExitCode(await run(['--env', ref, '--mask', '--', NODE, '-e', PRINT_ENV, 'API_KEY']), 0)
    for (const root of [dir, home.env.HOME!]) {
      for (const file of filesUnder(root)) {
        const content = readFileSync(file)
        expect(content.includes(secrets.API_KEY)).toBe(false)
        expect(content.includes(secrets.GLOBAL_TOKEN)).toBe(false)
      }
    }
  })
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Alive and not a zombie: a zombie has exited and waits only for its (new) parent to reap it. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))
  } catch {
    return false
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return []
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

/** A TCP proxy to `target` (on `port`, or any); close() refuses new connections and cuts open
 *  ones. */
function tcpProxy(target: URL, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const proxy = createServer((socket) => {
    const upstream = connect(Number(target.port), target.hostname)
    for (const end of [socket, upstream]) {
      sockets.add(end)
      end.on('error', () => undefined)
      end.on('close', () => sockets.delete(end))
    }
    socket.pipe(upstream).pipe(socket)
  })
  return new Promise((resolve) => {
    proxy.listen(port, '127.0.0.1', () => {
      const address = proxy.address()
      const port = typeof address === 'object' && address ? address.port : 0
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((closed) => {
            for (const socket of sockets) socket.destroy()
            proxy.close(() => closed())
          }),
      })
    })
  })
}

const shellQuote = (word: string): string => `'${word.replace(/'/g, "'\\''")}'`

function runCommand(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout }))
  })
}
