// `coffer server`: starts the composition root and keeps it up until SIGINT or SIGTERM. The first
// stdout line, `coffer listening on <url>`, is a contract (SPEC.md §7): tests and scripts read it.
import { CofferError } from '../../domain/errors.js'
import { startServer, type ServerOverrides } from '../../server.js'
import type { CliDeps } from '../deps.js'

/** How long a closed server may take to let go of its last handle before the process ends anyway. */
const EXIT_GRACE_MS = 5_000

export interface ServerArgs {
  readonly port?: number
  readonly host?: string
  readonly dataDir?: string
  readonly databaseUrl?: string
}

export async function runServer(args: ServerArgs, deps: CliDeps): Promise<void> {
  // Only the flags given: startServer reads COFFER_* itself, and flags win over them (SPEC.md §5).
  const overrides: ServerOverrides = {
    ...(args.port !== undefined && { port: args.port }),
    ...(args.host !== undefined && { host: args.host }),
    ...(args.dataDir !== undefined && { dataDir: args.dataDir }),
    ...(args.databaseUrl !== undefined && { databaseUrl: args.databaseUrl }),
  }
  const server = await startServer(overrides, deps.env).catch((error: unknown) => {
    throw listenFailure(error)
  })
  deps.output.line(`coffer listening on ${server.url}`)

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const received = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', received)
      process.off('SIGTERM', received)
      resolve(signal)
    }
    process.on('SIGINT', received)
    process.on('SIGTERM', received)
  })
  // No listener is left: a second signal while closing means "now", and Node ends the process by
  // that signal's default action instead of waiting for a slow drain.
  deps.output.notice(`coffer: ${signal} received, shutting down`)
  await server.close()
  // Closed pools and sockets let the process end by itself. A handle something forgot to close
  // must not keep a stopped server alive: after a grace period, say so and end by the signal.
  setTimeout(() => {
    deps.output.notice(`coffer: still running ${EXIT_GRACE_MS / 1000} s after closing; ending now`)
    process.kill(process.pid, signal)
  }, EXIT_GRACE_MS).unref()
}

function listenFailure(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EADDRINUSE') {
    return new CofferError(
      'unavailable',
      'The address is already in use (EADDRINUSE): another process listens on that port. Choose another with --port or COFFER_PORT.',
      { cause: error },
    )
  }
  if (code === 'EACCES') {
    return new CofferError(
      'unavailable',
      'Not allowed to listen on that port (EACCES): ports below 1024 need privileges. Choose another with --port or COFFER_PORT.',
      { cause: error },
    )
  }
  return error
}
