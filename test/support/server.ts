// Starts the real server as a process (`node bin/coffer.js server --port 0`) on SQLite or on a
// fresh PostgreSQL schema, for end-to-end tests through HTTP and the CLI.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import Database from 'better-sqlite3'
import pg from 'pg'
import { dropSchema, freshSchemaName, reachableTestPostgres } from './postgres.js'

export type EngineName = 'sqlite' | 'postgres'

export const ADMIN_PASSWORD = 'admin-password-for-tests'
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'coffer.js')

export interface TestServer {
  readonly url: string
  readonly engine: EngineName
  readonly dataDir: string
  /** Everything the server wrote to stderr (its pino log) so far. */
  log(): string
  /** Runs SQL on the server's database directly (to tamper with rows, or to count them).
   *  Placeholders are `?` on SQLite and `$1…` on PostgreSQL. */
  sql(statement: string, params?: unknown[]): Promise<Record<string, unknown>[]>
  /** Stops the process and deletes its data, unless `keepData` (to restart on it with `restartOf`). */
  stop(options?: { readonly keepData?: boolean }): Promise<void>
}

/** The engines every end-to-end suite runs on: SQLite always, PostgreSQL when reachable (on CI it must be). */
export async function testEngines(): Promise<EngineName[]> {
  return (await reachableTestPostgres()) ? ['sqlite', 'postgres'] : ['sqlite']
}

export interface StartOptions {
  readonly env?: Record<string, string>
  readonly args?: readonly string[]
  /** Starts on the data (directory, schema, master key) of a server stopped with
   *  `stop({ keepData: true })`: a restart of the same instance, not a fresh one. */
  readonly restartOf?: TestServer
}

/** Where a server keeps its data, so a restart can find it again. */
interface Storage {
  readonly dataDir: string
  readonly pg?: { readonly url: string; readonly schema: string; readonly masterKey: string }
}
const storageOf = new WeakMap<TestServer, Storage>()

export async function startTestServer(
  engine: EngineName,
  options: StartOptions = {},
): Promise<TestServer> {
  const previous = options.restartOf && storageOf.get(options.restartOf)
  if (options.restartOf && !previous)
    throw new Error('restartOf: not a server from startTestServer')
  const dataDir = previous?.dataDir ?? mkdtempSync(join(tmpdir(), 'coffer-test-'))
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dataDir,
    COFFER_DATA_DIR: dataDir,
    COFFER_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    COFFER_LOG_LEVEL: 'info',
  }
  let storage: Storage = { dataDir }
  if (engine === 'postgres') {
    let database = previous?.pg
    if (!database) {
      const pg = await reachableTestPostgres()
      if (!pg) throw new Error('PostgreSQL is not reachable')
      database = {
        url: pg.url,
        schema: freshSchemaName(),
        masterKey: randomBytes(32).toString('base64'),
      }
      const schema = database.schema
      await withPg(pg.url, undefined, (client) => client.query(`create schema "${schema}"`))
    }
    storage = { dataDir, pg: database }
    const url = new URL(database.url)
    url.searchParams.set('options', `-c search_path=${database.schema}`)
    env.COFFER_DATABASE_URL = url.toString()
    env.COFFER_MASTER_KEY = database.masterKey
  }
  Object.assign(env, options.env)
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', ...(options.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const url = await firstLine(child, () => stderr)
  const { pg: database } = storage
  const server: TestServer = {
    url,
    engine,
    dataDir,
    log: () => stderr,
    sql: (statement, params = []) =>
      database
        ? withPg(
            database.url,
            database.schema,
            async (client) => (await client.query(statement, params)).rows,
          )
        : Promise.resolve(runSqlite(join(dataDir, 'coffer.db'), statement, params)),
    async stop(stopOptions = {}) {
      await stopProcess(child)
      // SPEC.md §3: a 5xx is a bug. The server logs every unexpected error; none may appear.
      const bugs = stderr.split('\n').filter((line) => line.includes('"msg":"unexpected error"'))
      if (bugs.length > 0) throw new Error(`the server hit unexpected errors:\n${bugs.join('\n')}`)
      if (stopOptions.keepData) return
      rmSync(dataDir, { recursive: true, force: true })
      if (database) await dropSchema(database.url, database.schema)
    },
  }
  storageOf.set(server, storage)
  return server
}

function firstLine(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr()}`)), 20_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      const match = /^coffer listening on (http:\/\/\S+)$/.exec(line)
      if (match?.[1]) resolve(match[1])
      else reject(new Error(`unexpected first line: ${line}\n${stderr()}`))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${String(code)}:\n${stderr()}`))
    })
  })
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

async function withPg<T>(
  url: string,
  schema: string | undefined,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

function runSqlite(path: string, statement: string, params: unknown[]): Record<string, unknown>[] {
  const db = new Database(path)
  try {
    const prepared = db.prepare(statement)
    if (prepared.reader) return prepared.all(...params) as Record<string, unknown>[]
    prepared.run(...params)
    return []
  } finally {
    db.close()
  }
}
