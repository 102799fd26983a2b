// Runs the real CLI (`node bin/coffer.js …`) as a process with a controlled environment, for
// end-to-end tests. Nothing leaks in from the developer's shell: no COFFER_* variables, and a
// fresh HOME/XDG_CONFIG_HOME unless the test passes its own (to keep a login between runs).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'coffer.js')
const TIMEOUT_MS = 20_000

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  readonly env?: Record<string, string>
  /** Written to stdin, which is then closed; without it stdin is an empty pipe (not a TTY). */
  readonly input?: string | Buffer
  /** The working directory (where `coffer run` looks for coffer.yaml). */
  readonly cwd?: string
}

export interface CliHome {
  /** HOME and XDG_CONFIG_HOME of one simulated user, shared by the runs that get it. */
  readonly env: Record<string, string>
  readonly configHome: string
  remove(): void
}

/** A home directory for a sequence of CLI runs (login, then commands) by one person. */
export function createCliHome(): CliHome {
  const home = mkdtempSync(join(tmpdir(), 'coffer-cli-home-'))
  const configHome = join(home, 'config')
  return {
    env: { HOME: home, XDG_CONFIG_HOME: configHome },
    configHome,
    remove: () => rmSync(home, { recursive: true, force: true }),
  }
}

export async function runCli(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const ownHome = options.env?.HOME === undefined ? createCliHome() : undefined
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...ownHome?.env,
    ...options.env,
  }
  try {
    return await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`coffer ${args.join(' ')} did not finish in ${TIMEOUT_MS} ms:\n${stderr}`))
      }, TIMEOUT_MS)
      child.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        resolve({ code: code ?? 128 + signalNumber(signal), stdout, stderr })
      })
      // A CLI that exits before reading stdin closes the pipe: that is not a test failure.
      child.stdin.on('error', () => undefined)
      child.stdin.end(options.input ?? '')
    })
  } finally {
    ownHome?.remove()
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGTERM: 15,
  }
  return (signal && numbers[signal]) ?? 0
}

/** Asserts a run's exit code; on failure the diff shows its stderr, which says why. */
export function expectExitCode(result: CliResult, code: number): CliResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code, stderr: result.stderr })
  return result
}

/** Asserts exit code 0 and returns the run. */
export const expectOk = (result: CliResult): CliResult => expectExitCode(result, 0)

/** The stdout of a successful `--json` command, parsed. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed JSON.parse for tests
export const okJson = <T = any>(result: CliResult): T => JSON.parse(expectOk(result).stdout) as T

/** Runs `coffer` against `server` with `token` in COFFER_TOKEN, with optional stdin. */
export function cliRunner(server: { readonly url: string }, token: string) {
  const env = { COFFER_SERVER: server.url, COFFER_TOKEN: token }
  return (args: readonly string[], input?: string | Buffer): Promise<CliResult> =>
    runCli(args, { env, ...(input !== undefined && { input }) })
}

export interface RunningCli {
  readonly pid: number
  /** Output so far. */
  stdout(): string
  stderr(): string
  /** Resolves when stdout or stderr has matched `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  signal(signal: NodeJS.Signals): void
  /** The exit, as runCli reports it. */
  readonly exited: Promise<CliResult>
}

/** Starts the CLI and returns at once, for long-running commands (`coffer run --watch`). */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  })
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  const changed = () => listeners.forEach((listener) => listener())
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    changed()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    changed()
  })
  child.stdin.on('error', () => undefined)
  child.stdin.end(options.input ?? '')
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      changed()
      resolve({ code: code ?? 128 + signalNumber(signal), stdout, stderr })
    })
  })
  return {
    pid: child.pid ?? 0,
    stdout: () => stdout,
    stderr: () => stderr,
    signal: (signal) => child.kill(signal),
    exited,
    waitFor(pattern, timeoutMs = TIMEOUT_MS) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout) || pattern.test(stderr)) {
            listeners.delete(check)
            clearTimeout(timer)
            resolve()
          }
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(
            new Error(
              `no ${String(pattern)} within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
            ),
          )
        }, timeoutMs)
        listeners.add(check)
        check()
      })
    },
  }
}
