// Environment + flags -> a typed Config, validated once at start-up (SPEC.md §5). Flags win.
import { resolve } from 'node:path'
import { CofferError } from './domain/errors.js'
import {
  DEFAULT_BASE_URLS,
  KNOWN_PROVIDERS,
  parseBaseUrl,
  type KnownProvider,
} from './domain/providers.js'

export interface ServerOverrides {
  readonly port?: number
  readonly host?: string
  readonly dataDir?: string
  readonly databaseUrl?: string
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]

export interface Config {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  /** PostgreSQL URL; absent means the embedded SQLite database in dataDir. */
  readonly databaseUrl: string | undefined
  readonly masterKeys: { readonly keys?: string; readonly key?: string }
  readonly logLevel: LogLevel
  readonly bootstrapAdminPassword: string | undefined
  /** SPEC.md §1.5: where the known providers answer (`COFFER_PROVIDER_<NAME>_BASE_URL`), and
   *  how long a connection test waits (`COFFER_PROVIDER_TEST_TIMEOUT_MS`, default 5000). */
  readonly providers: ProviderConfig
}

export interface ProviderConfig {
  readonly baseUrls: Readonly<Record<KnownProvider, string>>
  readonly testTimeoutMs: number
}

export const DEFAULT_PROVIDER_TEST_TIMEOUT_MS = 5_000

export const DEFAULT_PORT = 8080
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_DATA_DIR = '.coffer'

export function loadConfig(overrides: ServerOverrides, env: NodeJS.ProcessEnv): Config {
  const nonEmpty = (name: string): string | undefined => {
    const value = env[name]
    return value === undefined || value.trim() === '' ? undefined : value
  }
  const port = overrides.port ?? parsePort(nonEmpty('COFFER_PORT'))
  const logLevel = (nonEmpty('COFFER_LOG_LEVEL') ?? 'info').toLowerCase()
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new CofferError('invalid', `COFFER_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`)
  }
  const masterKeys = {
    ...(nonEmpty('COFFER_MASTER_KEYS') !== undefined
      ? { keys: nonEmpty('COFFER_MASTER_KEYS') }
      : {}),
    ...(nonEmpty('COFFER_MASTER_KEY') !== undefined ? { key: nonEmpty('COFFER_MASTER_KEY') } : {}),
  } as Config['masterKeys']
  return {
    port,
    host: overrides.host ?? nonEmpty('COFFER_HOST') ?? DEFAULT_HOST,
    dataDir: resolve(overrides.dataDir ?? nonEmpty('COFFER_DATA_DIR') ?? DEFAULT_DATA_DIR),
    databaseUrl: overrides.databaseUrl ?? nonEmpty('COFFER_DATABASE_URL'),
    masterKeys,
    logLevel: logLevel as LogLevel,
    bootstrapAdminPassword: nonEmpty('COFFER_BOOTSTRAP_ADMIN_PASSWORD'),
    providers: loadProviderConfig(nonEmpty),
  }
}

function loadProviderConfig(nonEmpty: (name: string) => string | undefined): ProviderConfig {
  const baseUrls = { ...DEFAULT_BASE_URLS }
  for (const provider of KNOWN_PROVIDERS) {
    const name = `COFFER_PROVIDER_${provider.toUpperCase()}_BASE_URL`
    const value = nonEmpty(name)
    if (value === undefined) continue
    try {
      baseUrls[provider] = parseBaseUrl(value, name)
    } catch (error) {
      const reason = error instanceof CofferError ? error.message : 'it is not a valid URL'
      throw new CofferError('invalid', `${name}: ${reason}`)
    }
  }
  const timeout = nonEmpty('COFFER_PROVIDER_TEST_TIMEOUT_MS')
  const testTimeoutMs = timeout === undefined ? DEFAULT_PROVIDER_TEST_TIMEOUT_MS : Number(timeout)
  if (!Number.isInteger(testTimeoutMs) || testTimeoutMs < 1 || testTimeoutMs > 60_000) {
    throw new CofferError(
      'invalid',
      'COFFER_PROVIDER_TEST_TIMEOUT_MS must be a whole number of milliseconds from 1 to 60000',
    )
  }
  return { baseUrls, testTimeoutMs }
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT
  const port = Number(text)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CofferError(
      'invalid',
      `COFFER_PORT must be a port number from 0 to 65535, not "${text.slice(0, 16)}"`,
    )
  }
  return port
}
