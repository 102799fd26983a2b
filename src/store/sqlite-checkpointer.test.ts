import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { startCheckpointer } from './sqlite-checkpointer.js'

describe('the WAL checkpointer on its worker thread', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  /** Writes `megabytes` in 256 KiB commits on a connection that never checkpoints itself; the
   *  WAL's size afterwards. */
  async function walAfterWriting(megabytes: number, withCheckpointer: boolean): Promise<number> {
    dir = mkdtempSync(join(tmpdir(), 'coffer-wal-'))
    const path = join(dir, 'test.db')
    const db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('wal_autocheckpoint = 0')
    db.exec('create table blobs (id integer primary key, data blob)')
    const checkpointer = withCheckpointer ? startCheckpointer(path, { intervalMs: 10 }) : undefined
    try {
      const insert = db.prepare('insert into blobs (data) values (?)')
      const chunk = Buffer.alloc(256 * 1024, 7)
      for (let i = 0; i < megabytes * 4; i += 1) {
        insert.run(chunk)
        await sleep(5) // the server's connection is idle between requests; the worker works then
      }
      return statSync(`${path}-wal`).size
    } finally {
      await checkpointer?.stop()
      db.close()
    }
  }

  it('keeps the WAL to a few intervals of writes, where without it the WAL holds everything', async () => {
    const unchecked = await walAfterWriting(24, false)
    expect(unchecked).toBeGreaterThan(24 * 1024 * 1024)
    // The high-water mark: what was written before the worker's first checkpoint (its start-up
    // takes tens of ms) and between two of them.
    const checked = await walAfterWriting(24, true)
    expect(checked).toBeLessThan(8 * 1024 * 1024)
  })

  it('reports a checkpoint that cannot run instead of failing silently', async () => {
    const failures: string[] = []
    const checkpointer = startCheckpointer('/nonexistent/coffer/test.db', {
      onFailure: (message) => failures.push(message),
    })
    await checkpointer.stop()
    expect(failures.join('\n')).toMatch(/unable to open|does not exist|directory/i)
  })
})
