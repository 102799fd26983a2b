import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { MIGRATIONS, MIGRATION_TABLE } from './migrations/index.js'
import { openSqliteStore } from './sqlite.js'
import { describeStoreContract } from './store.contract.js'

describeStoreContract('sqlite store', () => openSqliteStore(':memory:'))

describe('openSqliteStore on a file', () => {
  let dir: string | undefined

  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  /** Reads the file behind the store's back, as another process would. */
  function inspect<T>(path: string, read: (db: SqliteDatabase.Database) => T): T {
    const db = new SqliteDatabase(path, { readonly: true })
    try {
      return read(db)
    } finally {
      db.close()
    }
  }

  it('creates the file and its directory in WAL mode, keeps data and migrates once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-store-'))
    const path = join(dir, 'nested', 'data', 'coffer.db')
    const user = {
      id: 'c000000000000000000000001',
      username: 'alice',
      passwordHash: 'scrypt$hash',
      isAdmin: true,
      disabled: false,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    }

    const first = await openSqliteStore(path)
    await first.insertUser(user)
    await first.close()

    const migrated = inspect(path, (db) => ({
      journalMode: db.pragma('journal_mode', { simple: true }),
      applied: db.prepare(`select name, timestamp from ${MIGRATION_TABLE} order by name`).all(),
    }))
    expect(migrated.journalMode).toBe('wal')
    expect(migrated.applied).toHaveLength(MIGRATIONS.length)

    const second = await openSqliteStore(path)
    try {
      await expect(second.checkReady()).resolves.toBeUndefined()
      expect(await second.findUserById(user.id)).toStrictEqual(user)
    } finally {
      await second.close()
    }
    const reapplied = inspect(path, (db) =>
      db.prepare(`select name, timestamp from ${MIGRATION_TABLE} order by name`).all(),
    )
    expect(reapplied).toStrictEqual(migrated.applied)
  })

  it('refuses a path it cannot create, without crashing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-store-'))
    const blocker = join(dir, 'file')
    writeFileSync(blocker, '')

    await expect(openSqliteStore(join(blocker, 'coffer.db'))).rejects.toMatchObject({
      code: 'unavailable',
    })
  })
})
