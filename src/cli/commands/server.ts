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
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  // A second signal while closing means "now": do not make people wait for a slow drain.
  const force = (): void => process.exit(1)
  process.once('SIGINT', force)
  process.once('SIGTERM', force)
  deps.output.notice(`coffer: ${signal} received, shutting down`)
  await server.close()
  // Closed pools and sockets let the process end by itself; a stray handle must not keep a
  // stopped server alive, so give it a grace period, then end with the clean exit code.
  setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref()
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
