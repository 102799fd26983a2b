// Starts the program `coffer run` was asked to run, and behaves like a good supervisor while it
// runs (SPEC.md §4 "coffer run"): no shell in between, stdio inherited (a TTY stays a TTY)
// unless masking needs the output, INT/TERM/HUP/QUIT forwarded, and the child's exit reported so
// that coffer can exit with the child's code (128 + signal number when it was killed).
import { spawn, type ChildProcess } from 'node:child_process'
import { constants } from 'node:os'
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

export function startChild(options: StartOptions): Promise<RunningChild> {
  const masked = options.mask !== undefined
  const child = spawn(options.command, [...options.args], {
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

/** Forwards INT, TERM, HUP and QUIT to whichever child is current, for as long as coffer runs.
 *  While a listener is installed Node does not die of these signals itself: coffer outlives its
 *  child just long enough to exit with its code. */
export function forwardSignals(current: () => ChildProcess | undefined): () => void {
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = (): void => {
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
