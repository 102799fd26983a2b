import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { dropSchema, freshSchemaName, reachableTestPostgres } from '../../test/support/postgres.js'
import { MIGRATIONS, MIGRATION_TABLE } from './migrations/index.js'
import { openPostgresStore } from './postgres.js'
import type { Store } from './store.js'
import { describeStoreContract } from './store.contract.js'

// Undefined when unreachable on a developer's machine; on CI this throws instead of skipping.
const testPostgres = await reachableTestPostgres()
const url = testPostgres?.url ?? ''

/** A store on a schema of its own, dropped again when the store closes. */
async function openOnFreshSchema(): Promise<Store> {
  const schema = freshSchemaName()
  const store = await openPostgresStore(url, { schema })
  return {
    ...store,
    async close() {
      await store.close()
      await dropSchema(url, schema)
    },
  }
}

describe.runIf(testPostgres)('postgres', () => {
  describeStoreContract('postgres store', openOnFreshSchema)

  describe('openPostgresStore on one schema from two replicas', () => {
    const schemas: string[] = []
    const stores: Store[] = []

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()))
      await Promise.all(schemas.splice(0).map((schema) => dropSchema(url, schema)))
    })

    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

    it('migrates once when two stores open the same fresh schema together', async () => {
      const schema = freshSchemaName()
      schemas.push(schema)

      const opened = await Promise.all([
        openPostgresStore(url, { schema }),
        openPostgresStore(url, { schema }),
      ])
      stores.push(...opened)

      for (const store of opened) await expect(store.checkReady()).resolves.toBeUndefined()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        const { rows } = await client.query(`select name from "${schema}".${MIGRATION_TABLE}`)
        expect(rows.map((row: { name: string }) => row.name)).toEqual(MIGRATIONS.map((m) => m.name))
      } finally {
        await client.end()
      }
    })

    it('makes a second writer of one owner wait until the first commits', async () => {
      const schema = freshSchemaName()
      schemas.push(schema)
      const [one, two] = await Promise.all([
        openPostgresStore(url, { schema }),
        openPostgresStore(url, { schema }),
      ])
      stores.push(one, two)
      const ownerId = 'c000000000000000000000001'
      await one.insertTeam({ id: ownerId, slug: 'acme', name: 'Acme', createdAt: '2025-01-01' })

      const order: string[] = []
      let holding!: () => void
      const locked = new Promise<void>((resolve) => (holding = resolve))
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      const first = one.transaction(async (tx) => {
        await tx.lockOwner(ownerId)
        holding()
        await released
        order.push('first commits')
      })
      await locked
      const second = two.transaction(async (tx) => {
        await tx.lockOwner(ownerId)
        order.push('second holds the lock')
      })

      await sleep(300)
      const whileFirstHolds = [...order]
      release() // before asserting, so a failure cannot leave the first transaction hanging
      await Promise.all([first, second])
      expect(whileFirstHolds).toEqual([])
      expect(order).toEqual(['first commits', 'second holds the lock'])
    })

    it('makes a second claim of a name wait for the first: holder after commit, winner after rollback', async () => {
      const schema = freshSchemaName()
      schemas.push(schema)
      const [one, two] = await Promise.all([
        openPostgresStore(url, { schema }),
        openPostgresStore(url, { schema }),
      ])
      stores.push(one, two)
      const ownerId = 'c000000000000000000000001'
      const environmentId = 'c000000000000000000000002'
      await one.insertTeam({ id: ownerId, slug: 'acme', name: 'Acme', createdAt: '2025-01-01' })
      await one.insertEnvironment({
        id: environmentId,
        ownerId,
        name: 'prod',
        description: '',
        revision: 0,
        requirements: null,
        createdAt: '2025-01-01',
        updatedAt: '2025-01-01',
      })
      const claim = (entryId: string, kind: 'direct' | 'variable') =>
        ({ environmentId, name: 'API_KEY', kind, entryId }) as const

      /** `one` claims and holds its transaction open until `finish` says commit or roll back;
       *  meanwhile `two` claims the same name. */
      async function race(entryOne: string, entryTwo: string, commit: boolean) {
        let claimed!: () => void
        const holding = new Promise<void>((resolve) => (claimed = resolve))
        let finish!: () => void
        const finished = new Promise<void>((resolve) => (finish = resolve))
        const first = one
          .transaction(async (tx) => {
            const holder = await tx.claimName(claim(entryOne, 'direct'))
            claimed()
            await finished
            if (!commit) throw new Error('roll back')
            return holder
          })
          .catch((error: unknown) => error)
        await holding
        let secondDone = false
        const second = two.claimName(claim(entryTwo, 'variable')).finally(() => (secondDone = true))
        await sleep(300)
        const waited = !secondDone
        finish() // before asserting, so a failure cannot leave the first transaction hanging
        return { waited, first: await first, second: await second }
      }

      const committed = await race('c00000000000000000000000a', 'c00000000000000000000000b', true)
      expect(committed.waited).toBe(true)
      expect(committed.first).toBeUndefined()
      expect(committed.second).toStrictEqual(claim('c00000000000000000000000a', 'direct'))

      await one.releaseName(environmentId, 'API_KEY', 'c00000000000000000000000a')
      const rolledBack = await race('c00000000000000000000000c', 'c00000000000000000000000d', false)
      expect(rolledBack.waited).toBe(true)
      expect(rolledBack.first).toBeInstanceOf(Error)
      expect(rolledBack.second).toBeUndefined()
      expect(await one.listClaims(environmentId)).toStrictEqual([
        claim('c00000000000000000000000d', 'variable'),
      ])
    })
  })
})

describe('openPostgresStore without a database', () => {
  it('names host, port and database but never the password', async () => {
    const opening = openPostgresStore('postgres://coffer:pa55-w0rd@127.0.0.1:1/coffer_db')

    await expect(opening).rejects.toMatchObject({ code: 'unavailable' })
    await expect(opening).rejects.toThrow(/127\.0\.0\.1:1\/coffer_db: ECONNREFUSED/)
    await expect(opening).rejects.not.toThrow(/pa55-w0rd/)
  })

  it('refuses a schema name that would need quoting', async () => {
    await expect(openPostgresStore(url, { schema: 'Robert"; drop' })).rejects.toMatchObject({
      code: 'invalid',
    })
  })
})
