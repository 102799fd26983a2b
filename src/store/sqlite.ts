// openSqliteStore: the embedded default (SPEC.md §5). better-sqlite3 set-up and the SQLite traits;
// every query lives in kysely-store.ts.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, SqliteAdapter, SqliteDialect, type DialectAdapter } from 'kysely'
import { CofferError } from '../domain/errors.js'
import { createKyselyStore, driverErrorCode, type StoreTraits } from './kysely-store.js'
import { migrateToLatest } from './migrations/index.js'
import { startCheckpointer } from './sqlite-checkpointer.js'
import type { Database } from './schema.js'
import type { Store } from './store.js'

export const SQLITE_TRAITS: StoreTraits = {
  engine: 'sqlite',
  isUniqueViolation: (error) => {
    const code = driverErrorCode(error)
    return (
      code !== undefined &&
      (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') ||
        code.startsWith('SQLITE_CONSTRAINT_PRIMARYKEY'))
    )
  },
  isForeignKeyViolation: (error) => {
    const code = driverErrorCode(error)
    if (code === undefined) return false
    if (code.startsWith('SQLITE_CONSTRAINT_FOREIGNKEY')) return true
    // SQLite runs ON DELETE RESTRICT as an internal trigger: deleting a still-referenced row
    // fails with SQLITE_CONSTRAINT_TRIGGER, told apart from a RAISE() in a trigger of ours only
    // by its fixed message.
    return (
      code === 'SQLITE_CONSTRAINT_TRIGGER' &&
      error instanceof Error &&
      error.message.startsWith('FOREIGN KEY constraint failed')
    )
  },
  // Nothing to lock: Kysely's SQLite driver runs one connection behind a mutex, held from BEGIN
  // to COMMIT, so transactions in this process already run one after another.
  lockOwner: () => Promise.resolve(),
}

/** SQLite's DDL is transactional, but Kysely's adapter says otherwise, so a migration failing
 *  half-way would leave half a schema behind. This one lets the Migrator wrap it in BEGIN/COMMIT. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

class CofferSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter()
  }
}

export interface SqliteStoreOptions {
  /** Told when the background WAL checkpoint fails (the database stays usable; the WAL grows). */
  readonly onCheckpointFailure?: (message: string) => void
  readonly checkpointIntervalMs?: number
}

/**
 * Opens (creating it and its directory if missing) and migrates the SQLite database at `path`;
 * `':memory:'` gives a private in-memory database. Throws `CofferError('unavailable')` when the
 * file cannot be opened or migrated.
 */
export async function openSqliteStore(
  path: string,
  options: SqliteStoreOptions = {},
): Promise<Store> {
  const inMemory = path === ':memory:'
  let database: SqliteDatabase.Database | undefined
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true })
    database = new SqliteDatabase(path)
    if (!inMemory) database.pragma('journal_mode = WAL')
    // A one-row commit costs 6.5 µs with NORMAL against ~140 µs with FULL. In WAL mode NORMAL
    // never corrupts the database: a power loss can only lose the last commits.
    database.pragma('synchronous = NORMAL')
    database.pragma('foreign_keys = ON')
    // Another process (e.g. a `coffer admin` command) holding the write lock makes us wait, not fail.
    database.pragma('busy_timeout = 5000')
  } catch (error) {
    database?.close()
    const reason = driverErrorCode(error) ?? 'cannot open the file'
    throw new CofferError('unavailable', `Cannot open the SQLite database at ${path}: ${reason}`, {
      cause: error,
    })
  }

  const db = new Kysely<Database>({
    dialect: new CofferSqliteDialect({ database: withStatementCache(database) }),
  })
  try {
    await migrateToLatest(db, { binaryType: 'blob' })
  } catch (error) {
    await db.destroy()
    throw error
  }
  if (inMemory) return createKyselyStore(db, SQLITE_TRAITS)
  // Checkpoints run on a worker thread (sqlite-checkpointer.ts), never inside a commit here.
  database.pragma('wal_autocheckpoint = 0')
  const checkpointer = startCheckpointer(path, {
    ...(options.onCheckpointFailure ? { onFailure: options.onCheckpointFailure } : {}),
    ...(options.checkpointIntervalMs ? { intervalMs: options.checkpointIntervalMs } : {}),
  })
  return createKyselyStore(db, SQLITE_TRAITS, { beforeClose: () => checkpointer.stop() })
}

const STATEMENT_CACHE_SIZE = 512

/** Kysely prepares every query anew; better-sqlite3's prepare costs more than running a small
 *  query (FACTS.md: 2.8 µs prepared vs 4.5 µs unprepared, and far more for joins). Queries come
 *  from a fixed set of builders, so caching statements by SQL text stays small. */
function withStatementCache(database: SqliteDatabase.Database): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>()
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver) as unknown
      return (sql: string) => {
        let statement = cache.get(sql)
        if (!statement) {
          statement = target.prepare(sql)
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear()
          cache.set(sql, statement)
        }
        return statement
      }
    },
  })
}
