// The one ordered list of schema migrations, shared by SQLite and PostgreSQL. Where the engines
// differ in types, a migration reads `MigrationTraits` instead of checking the dialect.
import {
  DEFAULT_MIGRATION_TABLE,
  Migrator,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely'
import { CofferError } from '../../domain/errors.js'
import * as initial from './001-initial.js'
import * as environments from './002-environments.js'
import * as providers from './003-providers.js'

export interface MigrationTraits {
  /** The type of byte columns (ciphertexts, wrapped keys). */
  readonly binaryType: 'blob' | 'bytea'
}

export interface VersionedMigration {
  /** Applied in this order; the name is what the migration table records, never change it. */
  readonly name: string
  readonly up: (db: Kysely<unknown>, traits: MigrationTraits) => Promise<void>
}

export const MIGRATIONS: readonly VersionedMigration[] = [
  { name: '001-initial', up: initial.up },
  { name: '002-environments', up: environments.up },
  { name: '003-providers', up: providers.up },
]

/** Where Kysely records applied migrations (in the store's schema on PostgreSQL). */
export const MIGRATION_TABLE = DEFAULT_MIGRATION_TABLE

function createMigrationProvider(traits: MigrationTraits): MigrationProvider {
  return {
    getMigrations() {
      const migrations: Record<string, Migration> = {}
      for (const { name, up } of MIGRATIONS) migrations[name] = { up: (db) => up(db, traits) }
      return Promise.resolve(migrations)
    },
  }
}

export interface MigrateOptions {
  /** PostgreSQL: the schema that holds the migration tables. Without it Kysely would accept a
   *  migration table found in any schema of the database, e.g. another replica's or test's. */
  readonly migrationTableSchema?: string
}

/**
 * Applies every migration not yet applied. On PostgreSQL this runs in one transaction under
 * Kysely's advisory lock, so replicas starting together migrate once. Throws
 * `CofferError('unavailable')` naming the failed migration; the driver's error is the cause.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  traits: MigrationTraits,
  options: MigrateOptions = {},
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: createMigrationProvider(traits),
    ...(options.migrationTableSchema === undefined
      ? {}
      : { migrationTableSchema: options.migrationTableSchema }),
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error === undefined) return
  const failed = results?.find((result) => result.status === 'Error')?.migrationName
  const which = failed === undefined ? '' : ` at migration ${failed}`
  throw new CofferError('unavailable', `Migrating the database failed${which}`, { cause: error })
}
