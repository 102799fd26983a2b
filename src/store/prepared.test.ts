import SqliteDatabase from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { prepareQuery } from './prepared.js'
import type { Database } from './schema.js'

describe('prepareQuery', () => {
  const raw = new SqliteDatabase(':memory:')
  raw.exec(
    `create table owners (id text primary key, kind text, name text unique, created_at text)`,
  )
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) })
  afterAll(() => db.destroy())

  it('runs the query compiled at first use with each call’s arguments, in any order and repeated', async () => {
    const insert = prepareQuery((q, id: string, kind: 'user' | 'team', name: string) =>
      q.insertInto('owners').values({ id, kind, name, created_at: id }),
    )
    const byNameOrId = prepareQuery((q, name: string, id: string) =>
      q
        .selectFrom('owners')
        .select(['id', 'name'])
        // `id` is sent before `name`, and `name` twice.
        .where((eb) => eb.or([eb('id', '=', id), eb('name', '=', name), eb('name', '=', name)]))
        .orderBy('id'),
    )
    await insert(db, 'o1', 'user', 'ada')
    await db.transaction().execute((trx) => insert(trx, 'o2', 'team', 'bob'))

    expect(await byNameOrId(db, 'ada', 'none')).toEqual([{ id: 'o1', name: 'ada' }])
    expect(await byNameOrId(db, 'bob', 'o1')).toEqual([
      { id: 'o1', name: 'ada' },
      { id: 'o2', name: 'bob' },
    ])
    expect(await byNameOrId(db, 'nobody', 'none')).toEqual([])
  })

  it('refuses a query that sends a value other than its arguments', async () => {
    const literal = prepareQuery((q, name: string) =>
      q.selectFrom('owners').select('id').where('name', '=', name).limit(1),
    )
    await expect(literal(db, 'ada')).rejects.toThrow(/not one of its arguments/)
  })
})
