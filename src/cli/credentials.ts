// The stored login (`$XDG_CONFIG_HOME/coffer/credentials.json`, SPEC.md §4) and which server and
// token a command uses. The file holds a personal token: directory 0700, file 0600, written
// atomically so a crash never leaves half a file or a moment of wider permissions.
// node:fs, not node:fs/promises: loading the promise API costs ~1.3 ms of every `coffer run`, which
// only reads; `fs.promises` is touched only by the commands that write (login, logout).
import * as fs from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import { CofferError } from '../domain/errors.js'
import { DEFAULT_SERVER, parseServerUrl } from './api-client.js'

export interface StoredCredentials {
  readonly server: string
  readonly token: string
  readonly username: string
}

export interface CredentialStore {
  readonly path: string
  /** The stored login, or undefined when there is none or it is unreadable (log in again). */
  read(): Promise<StoredCredentials | undefined>
  write(credentials: StoredCredentials): Promise<void>
  /** Returns whether a file was there. */
  remove(): Promise<boolean>
}

function readCredentialsFile(path: string): StoredCredentials | undefined {
  let text: string
  try {
    text = fs.readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw storeFailure('read', path, error)
  }
  return parseCredentials(text)
}

/** `$XDG_CONFIG_HOME/coffer/credentials.json`, else `~/.config/coffer/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv, home: () => string = homedir): string {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const config =
    env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : home(), '.config')
  return join(config, 'coffer', 'credentials.json')
}

export function createCredentialStore(path: string): CredentialStore {
  return {
    path,
    // Read synchronously (a throw rejects): at start-up there is nothing else to do meanwhile.
    read: () => new Promise((resolve) => resolve(readCredentialsFile(path))),
    async write(credentials) {
      const directory = dirname(path)
      const { chmod, mkdir, open, rename, rm } = fs.promises
      try {
        await mkdir(directory, { recursive: true, mode: 0o700 })
        // Security: mkdir's mode does not apply to a directory that already existed.
        await chmod(directory, 0o700)
        // node:crypto is loaded only to write (login), not on every command's start.
        const { randomBytes } = await import('node:crypto')
        const temporary = `${path}.${String(process.pid)}.${randomBytes(6).toString('hex')}.tmp`
        // Security: created 0600 from the first byte ('wx' refuses to reuse an existing file).
        const file = await open(temporary, 'wx', 0o600)
        try {
          await file.writeFile(`${JSON.stringify(credentials, null, 2)}\n`, 'utf8')
          await file.sync()
        } finally {
          await file.close()
        }
        await rename(temporary, path).catch(async (error: unknown) => {
          await rm(temporary, { force: true })
          throw error
        })
      } catch (error) {
        throw storeFailure('write', path, error)
      }
    },
    async remove() {
      try {
        await fs.promises.rm(path)
        return true
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
        throw storeFailure('remove', path, error)
      }
    },
  }
}

/** The file's content when it has the three strings we wrote; otherwise undefined. */
export function parseCredentials(text: string): StoredCredentials | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { server, token, username } = parsed as Record<string, unknown>
  if (typeof server !== 'string' || typeof token !== 'string' || typeof username !== 'string') {
    return undefined
  }
  return { server, token, username }
}

function storeFailure(action: string, path: string, error: unknown): CofferError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error'
  return new CofferError('bad_request', `Cannot ${action} the credentials file ${path} (${code})`, {
    cause: error,
  })
}

export type TokenSource = 'flag' | 'environment' | 'credentials' | 'none'

export interface Session {
  readonly server: string
  readonly token: string | undefined
  readonly tokenSource: TokenSource
  /** The stored login when it belongs to `server`. */
  readonly stored: StoredCredentials | undefined
}

export interface SessionInput {
  readonly flagServer?: string | undefined
  readonly flagToken?: string | undefined
  readonly env: NodeJS.ProcessEnv
  readonly stored: StoredCredentials | undefined
}

/**
 * Server: --server > COFFER_SERVER > the stored login's server > the default.
 * Token: --token > COFFER_TOKEN > the stored login, only when it was made on that server (a
 * stored token is never sent to a server that did not issue it).
 */
export function resolveSession({ flagServer, flagToken, env, stored }: SessionInput): Session {
  const chosen = nonEmpty(flagServer) ?? nonEmpty(env.COFFER_SERVER)
  const explicitToken = nonEmpty(flagToken) ?? nonEmpty(env.COFFER_TOKEN)
  const tokenSource: TokenSource =
    nonEmpty(flagToken) !== undefined
      ? 'flag'
      : nonEmpty(env.COFFER_TOKEN) !== undefined
        ? 'environment'
        : 'credentials'
  const storedServer = stored ? safeServer(stored.server) : undefined
  const server = parseServerUrl(chosen ?? storedServer ?? DEFAULT_SERVER)
  const matching = stored && storedServer === server ? stored : undefined
  if (explicitToken !== undefined) {
    return { server, token: explicitToken, tokenSource, stored: matching }
  }
  if (matching)
    return { server, token: matching.token, tokenSource: 'credentials', stored: matching }
  return { server, token: undefined, tokenSource: 'none', stored: undefined }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function safeServer(server: string): string | undefined {
  try {
    return parseServerUrl(server)
  } catch {
    return undefined
  }
}
