// What every command receives, built from the global options: with server.ts, the only place the
// CLI's adapters are made. Static imports only of what `coffer run` needs too (it is bundled into
// the CLI's entry).
import { CofferError } from '../domain/errors.js'
import { createApiClient, type ApiClient } from './api-client.js'
import {
  createCredentialStore,
  credentialsPath,
  resolveSession,
  type CredentialStore,
  type Session,
} from './credentials.js'
import { createOutput, type Output } from './output.js'
import { createPrompter, type Prompter } from './prompt.js'

export interface GlobalOptions {
  readonly server?: string | undefined
  readonly token?: string | undefined
  readonly json?: boolean | undefined
  readonly team?: string | undefined
}

export interface CliDeps {
  readonly output: Output
  readonly prompter: Prompter
  readonly env: NodeJS.ProcessEnv
  /** --team: the team a command works in; undefined means the user's personal scope. */
  readonly team: string | undefined
  readonly credentials: CredentialStore
  session(): Promise<Session>
  /** A client presenting the session's token. @throws CofferError('unauthenticated') without one. */
  api(): Promise<ApiClient>
  /** A client that presents no token (`coffer login`). */
  anonymousApi(): Promise<ApiClient>
}

/** A handler may return an exit code (`coffer run` ends with its child's). */
export type CommandHandler<Args> = (args: Args, deps: CliDeps) => Promise<unknown>

export function createDeps(globals: GlobalOptions): CliDeps {
  const env = process.env
  const store = createCredentialStore(credentialsPath(env))
  let session: Promise<Session> | undefined
  let prompter: Prompter | undefined
  const currentSession = (): Promise<Session> =>
    (session ??= store
      .read()
      .then((stored) =>
        resolveSession({ flagServer: globals.server, flagToken: globals.token, env, stored }),
      ))
  return {
    output: createOutput({
      json: globals.json === true,
      stdout: process.stdout,
      stderr: process.stderr,
    }),
    // Made on first use: touching process.stdin opens it, which `coffer run` leaves to its child.
    get prompter() {
      prompter ??= createPrompter({ input: process.stdin, output: process.stderr })
      return prompter
    },
    env,
    team: globals.team,
    credentials: store,
    session: currentSession,
    async api() {
      const { server, token } = await currentSession()
      if (token === undefined)
        throw new CofferError('unauthenticated', `Not logged in to ${server}`)
      return createApiClient({ server, token })
    },
    async anonymousApi() {
      const { server } = await currentSession()
      return createApiClient({ server })
    },
  }
}
