// The test PostgreSQL: where it is, whether it answers, and throw-away schemas on it. Shared by
// the store contract and the end-to-end suites.
//
//   const pg = await reachableTestPostgres()   // undefined when unreachable (throws on CI)
//   const schema = freshSchemaName()           // pass as { schema } or `-c search_path=`
//   await dropSchema(pg.url, schema)           // in afterEach
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/

let reachable: Promise<{ url: string } | undefined> | undefined

/**
 * The test database (`COFFER_TEST_DATABASE_URL`, default `DEFAULT_TEST_DATABASE_URL`) if it
 * answers within 3 seconds, else undefined. When `CI` is set it throws instead: CI must run the
 * PostgreSQL suites, never skip them silently. Checked once per test process.
 */
export function reachableTestPostgres(): Promise<{ url: string } | undefined> {
  reachable ??= probe(process.env.COFFER_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL)
  return reachable
}

async function probe(url: string): Promise<{ url: string } | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query('select 1')
    return { url }
  } catch (error) {
    if (process.env.CI) {
      throw new Error(
        `PostgreSQL is not reachable at ${withoutPassword(url)} (${reasonOf(error)}). ` +
          'CI must run the PostgreSQL tests: start it or set COFFER_TEST_DATABASE_URL.',
        { cause: error },
      )
    }
    return undefined
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A new schema name, unique enough for parallel test files: `t_` + 16 hex digits. */
export function freshSchemaName(): string {
  return `t_${randomBytes(8).toString('hex')}`
}

/** Drops `schema` and everything in it; no error when it does not exist. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`Not a schema name: ${schema}`)
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => undefined)
  await client.connect()
  try {
    await client.query(`drop schema if exists "${schema}" cascade`)
  } finally {
    await client.end()
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.password = ''
    return parsed.toString()
  } catch {
    return 'the configured URL'
  }
}

function reasonOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) return String(error.code)
  return error instanceof Error ? error.message : 'unknown error'
}
