// Starts the program `coffer run` was asked to run, and behaves like a good supervisor while it
// runs (SPEC.md §4 "coffer run"): no shell in between, stdio inherited (a TTY stays a TTY)
// unless masking needs the output, INT/TERM/HUP/QUIT forwarded, and the child's exit reported so
// that coffer can exit with the child's code (128 + signal number when it was killed).
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants as fsConstants, fstatSync, readFileSync, statSync } from 'node:fs'
import { constants } from 'node:os'
import { delimiter, join } from 'node:path'
import type { Transform } from 'node:stream'

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

export interface ChildOutcome {
  /** The exit code coffer should end with. */
  readonly code: number
  readonly signal: NodeJS.Signals | null
}

export interface StartOptions {
  readonly command: string
  readonly args: readonly string[]
  readonly env: NodeJS.ProcessEnv
  /** Filters for the child's stdout and stderr (`--mask`); without them both are inherited. */
  readonly mask?: () => Transform
}

export interface RunningChild {
  readonly process: ChildProcess
  /** Settles once the child has exited and its (masked) output is flushed. */
  readonly done: Promise<ChildOutcome>
  /** TERM, then KILL after `graceMs` if it is still running; resolves when it has exited. */
  stop(graceMs: number): Promise<ChildOutcome>
}

/** A failure to start: 127 when the command does not exist, 126 when it cannot be executed. */
export class StartError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode: number) {
    super(message)
    this.exitCode = exitCode
  }
}

/** util-linux's setpriv (Debian, Ubuntu, Fedora, Arch: part of the base system). */
const SETPRIV = '/usr/bin/setpriv'

export function startChild(options: StartOptions): Promise<RunningChild> {
  const masked = options.mask !== undefined
  const guard = parentDeathGuard()
  if (guard !== undefined) {
    // setpriv execs CMD itself, so its failure to find CMD would be setpriv's message: look first.
    const missing = commandProblem(options.command, options.env.PATH)
    if (missing !== undefined) return Promise.reject(startError(options.command, missing))
  }
  const [file, args] =
    guard === undefined
      ? [options.command, [...options.args]]
      : [guard, ['--pdeathsig', 'KILL', '--', options.command, ...options.args]]
  const child = spawn(file, args, {
    env: options.env,
    stdio: masked ? ['inherit', 'pipe', 'pipe'] : 'inherit',
  })
  return new Promise<RunningChild>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      // 'error' before 'spawn' means the program never started.
      reject(startError(options.command, error))
    })
    child.once('spawn', () => {
      const flushed: Promise<void>[] = []
      if (options.mask && child.stdout && child.stderr) {
        flushed.push(pipeThrough(child.stdout, options.mask(), process.stdout))
        flushed.push(pipeThrough(child.stderr, options.mask(), process.stderr))
      }
      const exited = new Promise<ChildOutcome>((settle) => {
        child.once('exit', (code, signal) => {
          settle({ code: code ?? 128 + signalNumber(signal), signal })
        })
      })
      const done = exited.then(async (outcome) => {
        await Promise.all(flushed)
        return outcome
      })
      resolve({
        process: child,
        done,
        async stop(graceMs: number) {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM')
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
            timer.unref()
            const outcome = await done
            clearTimeout(timer)
            return outcome
          }
          return done
        },
      })
    })
  })
}

/** On Linux, the child is started through `setpriv --pdeathsig KILL`, which asks the kernel to
 *  kill it when coffer dies (PR_SET_PDEATHSIG) and then execs CMD in the same process, same pid.
 *  That is the only way a child does not outlive a coffer that was SIGKILLed or OOM-killed: no
 *  process can forward a signal it never gets. KILL, not TERM, because nobody is left to enforce
 *  a grace period. Without setpriv (other systems) the child is spawned directly. */
function parentDeathGuard(): string | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    accessSync(SETPRIV, fsConstants.X_OK)
    return SETPRIV
  } catch {
    return undefined
  }
}

/** Why `command` cannot be executed, looked up on `path` as execvp would; undefined when it can. */
export function commandProblem(
  command: string,
  path: string | undefined,
): NodeJS.ErrnoException | undefined {
  const problem = (code: 'ENOENT' | 'EACCES') => Object.assign(new Error(code), { code })
  if (command === '') return problem('ENOENT')
  const candidates = command.includes('/')
    ? [command]
    : (path ?? '/usr/bin:/bin').split(delimiter).map((dir) => join(dir === '' ? '.' : dir, command))
  let found: NodeJS.ErrnoException = problem('ENOENT')
  for (const candidate of candidates) {
    try {
      if (statSync(candidate).isDirectory()) throw problem('EACCES')
      accessSync(candidate, fsConstants.X_OK)
      return undefined
    } catch (error) {
      // execvp goes on past a file it may not execute, and reports EACCES if nothing else runs.
      if ((error as NodeJS.ErrnoException).code === 'EACCES') found = problem('EACCES')
    }
  }
  return found
}

/** Forwards INT, TERM, HUP and QUIT to whichever child is current, for as long as coffer runs.
 *  While a listener is installed Node does not die of these signals itself: coffer outlives its
 *  child just long enough to exit with its code. */
export function forwardSignals(current: () => ChildProcess | undefined): () => void {
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = (): void => {
      // Ctrl-C and Ctrl-\ at a terminal reach the child already: it shares coffer's process group.
      if ((signal === 'SIGINT' || signal === 'SIGQUIT') && typedAtTerminal()) return
      const child = current()
      if (child?.exitCode === null && child.signalCode === null) child.kill(signal)
    }
    process.on(signal, handler)
    return [signal, handler] as const
  })
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }
}

/** Whether an INT or QUIT that coffer got most likely came from the keyboard of its terminal: the
 *  terminal sends those to its whole foreground process group, the child included, and a second
 *  copy from coffer would read as "press again to force quit" to many programs (Python, npm,
 *  Docker). Node does not tell who sent a signal (siginfo), so this asks Linux whether coffer's
 *  stdin is a terminal and coffer's process group is that terminal's foreground group. A signal
 *  sent with `kill` to a coffer in a terminal's foreground is then not forwarded either; TERM
 *  always is. Elsewhere (not Linux, no terminal, in the background) every signal is forwarded. */
function typedAtTerminal(): boolean {
  if (process.platform !== 'linux') return false
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    // "pid (comm) state ppid pgrp session tty_nr tpgid …": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const [processGroup, terminal, foregroundGroup] = [2, 4, 5].map((i) => Number(fields[i]))
    if (!terminal || foregroundGroup !== processGroup) return false
    // stdin is that terminal when its device number is tty_nr (node:tty would cost ~2 ms to load).
    const stdin = fstatSync(0)
    return stdin.isCharacterDevice() && stdin.rdev === terminal
  } catch {
    return false
  }
}

function pipeThrough(
  from: NodeJS.ReadableStream,
  filter: Transform,
  to: NodeJS.WritableStream,
): Promise<void> {
  return new Promise((resolve) => {
    from.pipe(filter)
    filter.on('data', (chunk: Buffer) => {
      // Back-pressure: a slow terminal or pipe slows the child instead of filling memory.
      if (!to.write(chunk)) {
        filter.pause()
        to.once('drain', () => filter.resume())
      }
    })
    filter.once('end', resolve)
    filter.once('error', () => resolve())
  })
}

export function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : constants.signals[signal]
}

function startError(command: string, error: NodeJS.ErrnoException): StartError {
  if (error.code === 'ENOENT') {
    return new StartError(
      `command not found: ${command} (check the name, or that it is on PATH)`,
      127,
    )
  }
  if (error.code === 'EACCES') {
    return new StartError(`permission denied: ${command} is not executable`, 126)
  }
  return new StartError(`cannot start ${command}: ${error.message}`, 126)
}
