// Environments (SPEC.md §1): the environments themselves, the names claimed in each, direct
// secrets with their versions, variables, links to global secrets, runtime tokens and the
// consumers that resolved them. Never edit a migration that has shipped: add the next one to
// index.ts instead.
import { sql, type Kysely } from 'kysely'
import type { MigrationTraits } from './index.js'

export async function up(db: Kysely<unknown>, traits: MigrationTraits): Promise<void> {
  const { binaryType } = traits

  await db.schema
    .createTable('environments')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('owner_id', 'text', (col) =>
      col.notNull().references('owners.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('revision', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('requirements', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    // Also the index of listEnvironments: owner, then name order.
    .addUniqueConstraint('environments_owner_name_unique', ['owner_id', 'name'])
    .execute()

  // Every name an entry takes in an environment, whatever its kind: the primary key is what
  // turns two concurrent claims of one name (on one server or on replicas) into one winner.
  // entry_id points at a row of one of four tables, so it has no foreign key; the service
  // releases a claim in the transaction that deletes or renames its entry.
  await db.schema
    .createTable('environment_names')
    .addColumn('environment_id', 'text', (col) =>
      col.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('entry_id', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('environment_names_pk', ['environment_id', 'name'])
    .addCheckConstraint(
      'environment_names_kind_check',
      sql`kind in ('variable', 'linked', 'direct', 'provider')`,
    )
    .execute()

  await db.schema
    .createTable('direct_secrets')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('environment_id', 'text', (col) =>
      col.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('hint', 'text')
    .addColumn('generator', 'text')
    .addColumn('updated_revision', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    // Also the index of listDirectSecrets: environment, then name order.
    .addUniqueConstraint('direct_secrets_environment_name_unique', ['environment_id', 'name'])
    .execute()

  await db.schema
    .createTable('direct_secret_versions')
    .addColumn('secret_id', 'text', (col) =>
      col.notNull().references('direct_secrets.id').onDelete('cascade'),
    )
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('ciphertext', binaryType, (col) => col.notNull())
    .addColumn('hint', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_by_name', 'text')
    .addPrimaryKeyConstraint('direct_secret_versions_pk', ['secret_id', 'version'])
    .execute()

  await db.schema
    .createTable('variables')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('environment_id', 'text', (col) =>
      col.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('value', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('updated_revision', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    // Also the index of listVariables: environment, then name order.
    .addUniqueConstraint('variables_environment_name_unique', ['environment_id', 'name'])
    .execute()

  // RESTRICT on the global secret: a linked secret must not vanish from under its environments.
  // The service answers `still_linked` before deleting; this is the backstop.
  await db.schema
    .createTable('environment_links')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('environment_id', 'text', (col) =>
      col.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('secret_id', 'text', (col) =>
      col.notNull().references('secrets.id').onDelete('restrict'),
    )
    .addColumn('updated_revision', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('environment_links_environment_secret_unique', [
      'environment_id',
      'secret_id',
    ])
    .execute()
  // listLinksOfSecret, and the RESTRICT check when a global secret is deleted.
  await db.schema
    .createIndex('environment_links_secret_idx')
    .on('environment_links')
    .column('secret_id')
    .execute()

  await db.schema
    .createTable('runtime_tokens')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('environment_id', 'text', (col) =>
      col.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('previous_token_hash', 'text')
    .addColumn('previous_expires_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute()
  // findRuntimeTokenByHash looks the old string up during a rotate's grace period. NULLs (no
  // rotate pending) do not collide, on either engine.
  await db.schema
    .createIndex('runtime_tokens_previous_hash_unique')
    .on('runtime_tokens')
    .column('previous_token_hash')
    .unique()
    .execute()
  // listRuntimeTokens, and the cascade when an environment is deleted.
  await db.schema
    .createIndex('runtime_tokens_environment_idx')
    .on('runtime_tokens')
    .columns(['environment_id', 'created_at'])
    .execute()

  await db.schema
    .createTable('environment_consumers')
    .addColumn('environment_id', 'text', (col) =>
      col.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('consumer_id', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('last_resolved_at', 'text', (col) => col.notNull())
    .addColumn('last_resolved_revision', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('environment_consumers_pk', ['environment_id', 'kind', 'consumer_id'])
    .addCheckConstraint('environment_consumers_kind_check', sql`kind in ('user', 'runtime')`)
    .execute()
}
