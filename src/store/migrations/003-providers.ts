// AI provider connections (SPEC.md §1.5): an owner's connections with their sealed keys
// (versioned like global secrets) and their attachments to environments. Never edit a
// migration that has shipped: add the next one to index.ts instead.
import { sql, type Kysely } from 'kysely'
import type { MigrationTraits } from './index.js'

export async function up(db: Kysely<unknown>, traits: MigrationTraits): Promise<void> {
  const { binaryType } = traits

  await db.schema
    .createTable('provider_connections')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('owner_id', 'text', (col) => col.notNull().references('owners.id'))
    .addColumn('provider', 'text', (col) => col.notNull())
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('base_url', 'text')
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('hint', 'text')
    .addColumn('last_test_ok', 'integer')
    .addColumn('last_tested_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addCheckConstraint(
      'provider_connections_provider_check',
      sql`provider in ('anthropic', 'openai', 'openrouter', 'venice', 'custom')`,
    )
    .addCheckConstraint('provider_connections_last_test_ok_check', sql`last_test_ok in (0, 1)`)
    .execute()
  // listProviderConnections: one owner's connections, in creation order.
  await db.schema
    .createIndex('provider_connections_owner_idx')
    .on('provider_connections')
    .columns(['owner_id', 'created_at', 'id'])
    .execute()

  await db.schema
    .createTable('provider_key_versions')
    .addColumn('connection_id', 'text', (col) =>
      col.notNull().references('provider_connections.id').onDelete('cascade'),
    )
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('ciphertext', binaryType, (col) => col.notNull())
    .addColumn('hint', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_by_name', 'text')
    .addPrimaryKeyConstraint('provider_key_versions_pk', ['connection_id', 'version'])
    .execute()

  // `provider` repeats the connection's (it never changes) so that the database itself refuses
  // a second connection of one provider in one environment (SPEC.md §1.5). RESTRICT on the
  // connection: the service answers `still_linked` before deleting; this is the backstop.
  await db.schema
    .createTable('environment_providers')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('environment_id', 'text', (col) =>
      col.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('connection_id', 'text', (col) =>
      col.notNull().references('provider_connections.id').onDelete('restrict'),
    )
    .addColumn('provider', 'text', (col) => col.notNull())
    .addColumn('updated_revision', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('environment_providers_environment_connection_unique', [
      'environment_id',
      'connection_id',
    ])
    .addUniqueConstraint('environment_providers_environment_provider_unique', [
      'environment_id',
      'provider',
    ])
    .execute()
  // listAttachmentsOfConnection, and the RESTRICT check when a connection is deleted.
  await db.schema
    .createIndex('environment_providers_connection_idx')
    .on('environment_providers')
    .column('connection_id')
    .execute()
}
