// openPostgresStore: the database for several replicas (SPEC.md §5). pg pool set-up and the
// PostgreSQL traits; every query lives in kysely-store.ts.
import { createHash } from 'node:crypto'
import { Kysely, PostgresDialect, sql } from 'kysely'
import { Client, Pool, type PoolConfig } from 'pg'
import { CofferError } from '../domain/errors.js'
import { createKyselyStore, driverErrorCode, type StoreTraits } from './kysely-store.js'
import { migrateToLatest } from './migrations/index.js'
import { prepareQuery } from './prepared.js'
import type { Database } from './schema.js'
import type { RevisionChange, Store } from './store.js'

/** Every resolve batch takes this lock: compiled once (prepared.ts), PostgreSQL's SQL for all. */
const lockOwnerRow = prepareQuery((tx, ownerId: string) =>
  tx.selectFrom('owners').select('id').where('id', '=', ownerId).forUpdate(),
)

export const POSTGRES_TRAITS: StoreTraits = {
  engine: 'postgres',
  isUniqueViolation: (error) => driverErrorCode(error) === '23505',
  isForeignKeyViolation: (error) => driverErrorCode(error) === '23503',
  // A row lock on the owner: a second writer of the same owner (in this process or another
  // replica) waits here until the first transaction commits or rolls back.
  lockOwner: async (tx, ownerId) => {
    await lockOwnerRow(tx, ownerId)
  },
}

/** Plain lower-case identifiers only: they need no quoting, in SQL or in `-c search_path=`. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/

export interface PostgresStoreOptions {
  /** Use (and create if missing) this schema instead of the connection's default. */
  readonly schema?: string
  /** Connections in the pool; default 10. */
  readonly poolSize?: number
}

/**
 * Connects to `url`, creates the schema if needed, and applies pending migrations under Kysely's
 * migration lock (replicas starting together migrate once). Throws `CofferError('unavailable')`
 * when PostgreSQL cannot be reached; the message names host, port and database, never the
 * password.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new CofferError('invalid', 'A PostgreSQL schema name must match ^[a-z_][a-z0-9_]*$', {
      param: 'schema',
    })
  }
  const pool = new Pool({
    ...connectionConfig(url, options.schema),
    max: options.poolSize ?? 10,
    // Fail a request instead of hanging when the database is gone or the pool stays exhausted.
    connectionTimeoutMillis: 10_000,
  })
  // An idle client that loses its connection (a database restart) emits 'error' on the pool;
  // unheard, that would crash the process. The pool drops the client and connects anew later.
  pool.on('error', () => undefined)
  try {
    await probe(pool, url)
    const schema = options.schema ?? (await searchPathSchema(pool))
    await ensureSchema(pool, schema)
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    await migrateToLatest(db, { binaryType: 'bytea' }, { migrationTableSchema: schema })
    return createKyselyStore(db, {
      ...POSTGRES_TRAITS,
      ...revisionTraits(connectionConfig(url, options.schema), revisionChannel(schema)),
    })
  } catch (error) {
    await pool.end().catch(() => undefined)
    throw error
  }
}

/** Pool settings for `url`; with `schema`, every pooled connection starts with it on its path. */
function connectionConfig(url: string, schema: string | undefined): PoolConfig {
  if (schema === undefined) return { connectionString: url }
  const searchPath = `-c search_path=${schema}`
  // pg lets a URL's `options` parameter override the pool's `options`: merge them instead,
  // ours last so that its search_path wins.
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { connectionString: url, options: searchPath }
  }
  const fromUrl = parsed.searchParams.get('options')
  if (fromUrl === null) return { connectionString: url, options: searchPath }
  parsed.searchParams.delete('options')
  return { connectionString: parsed.toString(), options: `${fromUrl} ${searchPath}` }
}

async function probe(pool: Pool, url: string): Promise<void> {
  try {
    const client = await pool.connect()
    client.release()
  } catch (error) {
    throw new CofferError(
      'unavailable',
      `Cannot reach PostgreSQL at ${describeTarget(url)}: ${shortReason(error, url)}. ` +
        'Check COFFER_DATABASE_URL and that the database server is running.',
      { cause: error },
    )
  }
}

/** `host:port/database`, without user or password. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url)
    const host = (parsed.hostname || parsed.searchParams.get('host')) ?? 'localhost'
    return `${host}:${parsed.port || '5432'}${parsed.pathname}`
  } catch {
    return 'the configured address'
  }
}

function shortReason(error: unknown, url: string): string {
  const code = driverErrorCode(error)
  // Node's network errors (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…) say it best by their code.
  if (code?.startsWith('E')) return code
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : ''
  let reason = message.slice(0, 200) || 'unknown error'
  // Security: server messages do not quote the password today; make sure no future one leaks it.
  const password = passwordOf(url)
  if (password) reason = reason.split(password).join('***')
  return reason
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password)
  } catch {
    return ''
  }
}

/** The schema a connection without `options.schema` works in: the first one on its search_path,
 *  which may not exist yet (e.g. `?options=-c search_path=coffer` on a fresh database). */
async function searchPathSchema(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ current: string | null; path: string }>(
    `select current_schema() as current, current_setting('search_path') as path`,
  )
  const row = rows[0]
  if (row?.current) return row.current
  const first =
    row?.path
      .split(',')[0]
      ?.trim()
      .replace(/^"(.*)"$/, '$1') ?? ''
  if (SCHEMA_NAME.test(first)) return first
  throw new CofferError(
    'unavailable',
    'The search_path of COFFER_DATABASE_URL names no schema Coffer can use or create',
  )
}

/** Creates `schema` unless it exists. Checking first spares a role without CREATE on the
 *  database; two replicas creating it at once may still race, so a failure is re-checked. */
async function ensureSchema(pool: Pool, schema: string): Promise<void> {
  const exists = async () =>
    (await pool.query('select 1 from pg_namespace where nspname = $1', [schema])).rows.length > 0
  if (await exists()) return
  try {
    // `schema` matched SCHEMA_NAME (or came from current_schema()): safe to quote as is.
    await pool.query(`create schema if not exists "${schema}"`)
  } catch (error) {
    if (!(await exists())) throw error
  }
}

// ---- Revision notifications across replicas (SPEC.md §3.7, §5) ----

/** One channel per schema, so servers of other Coffer instances on the same database (other
 *  schemas, e.g. parallel test runs) are not woken. Channel names are identifiers: ≤ 63 bytes. */
export function revisionChannel(schema: string): string {
  const channel = `coffer_revisions_${schema}`
  return channel.length <= 63
    ? channel
    : `coffer_revisions_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`
}

const RECONNECT_MS = 1_000

function revisionTraits(
  config: PoolConfig,
  channel: string,
): Pick<StoreTraits, 'notifyRevision' | 'listenRevisions'> {
  return {
    // Delivered by PostgreSQL when the transaction commits, and never if it rolls back.
    notifyRevision: async (tx, change) => {
      await sql`select pg_notify(${channel}, ${`${change.environmentId}:${change.revision}`})`.execute(
        tx,
      )
    },
    listenRevisions: async (onChange) => {
      let stopped = false
      let client: Client | undefined
      let retry: NodeJS.Timeout | undefined
      const connect = async (): Promise<void> => {
        const next = new Client(config)
        next.on('error', () => undefined)
        next.on('notification', (message) => {
          if (message.channel !== channel) return
          const change = parseRevisionPayload(message.payload)
          if (change) onChange(change)
        })
        next.on('end', () => {
          if (stopped) return
          // Moves committed while we were away went unheard: listeners re-read.
          onChange(null)
          retry = setTimeout(() => void reconnect(), RECONNECT_MS)
        })
        await next.connect()
        // `channel` is built from a schema name matching SCHEMA_NAME (or a hex digest).
        await next.query(`listen "${channel}"`)
        client = next
      }
      const reconnect = async (): Promise<void> => {
        if (stopped) return
        try {
          await connect()
          onChange(null)
        } catch {
          retry = setTimeout(() => void reconnect(), RECONNECT_MS)
        }
      }
      await connect()
      return async () => {
        stopped = true
        clearTimeout(retry)
        await client?.end().catch(() => undefined)
      }
    },
  }
}

function parseRevisionPayload(payload: string | undefined): RevisionChange | undefined {
  const match = /^(c[a-z0-9]{24}):(\d+)$/.exec(payload ?? '')
  if (!match?.[1] || !match[2]) return undefined
  return { environmentId: match[1], revision: Number(match[2]) }
}
