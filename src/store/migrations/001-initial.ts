// The first schema: owners (users and teams), memberships, data keys, personal tokens, login
// throttling, global secrets with their versions, and the audit chain. Never edit a migration
// that has shipped: add the next one to index.ts instead.
import { sql, type Kysely } from 'kysely'
import type { MigrationTraits } from './index.js'

export async function up(db: Kysely<unknown>, traits: MigrationTraits): Promise<void> {
  const { binaryType } = traits

  await db.schema
    .createTable('owners')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addCheckConstraint('owners_kind_check', sql`kind in ('user', 'team')`)
    .execute()

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (col) =>
      col.primaryKey().notNull().references('owners.id').onDelete('cascade'),
    )
    .addColumn('username', 'text', (col) => col.notNull().unique())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('is_admin', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addCheckConstraint('users_is_admin_check', sql`is_admin in (0, 1)`)
    .addCheckConstraint('users_disabled_check', sql`disabled in (0, 1)`)
    .execute()

  await db.schema
    .createTable('teams')
    .addColumn('id', 'text', (col) =>
      col.primaryKey().notNull().references('owners.id').onDelete('cascade'),
    )
    .addColumn('slug', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute()

  await db.schema
    .createTable('memberships')
    .addColumn('team_id', 'text', (col) => col.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['team_id', 'user_id'])
    .addCheckConstraint('memberships_role_check', sql`role in ('admin', 'member', 'viewer')`)
    .execute()
  // listTeamsOfUser looks memberships up by user; the primary key leads with the team.
  await db.schema
    .createIndex('memberships_user_idx')
    .on('memberships')
    .columns(['user_id', 'team_id'])
    .execute()

  await db.schema
    .createTable('owner_keys')
    .addColumn('owner_id', 'text', (col) =>
      col.primaryKey().notNull().references('owners.id').onDelete('cascade'),
    )
    .addColumn('master_key_id', 'text', (col) => col.notNull())
    .addColumn('wrapped_key', binaryType, (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute()

  await db.schema
    .createTable('personal_tokens')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .addCheckConstraint('personal_tokens_kind_check', sql`kind in ('token', 'session')`)
    .execute()
  await db.schema
    .createIndex('personal_tokens_user_idx')
    .on('personal_tokens')
    .columns(['user_id', 'created_at'])
    .execute()

  await db.schema
    .createTable('login_throttle')
    .addColumn('key', 'text', (col) => col.primaryKey().notNull())
    .addColumn('window_start', 'text', (col) => col.notNull())
    .addColumn('failures', 'integer', (col) => col.notNull())
    .execute()

  await db.schema
    .createTable('secrets')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('owner_id', 'text', (col) => col.notNull().references('owners.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('is_file', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('hint', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    // Also the index of listSecrets: owner, then name order.
    .addUniqueConstraint('secrets_owner_name_unique', ['owner_id', 'name'])
    .addCheckConstraint('secrets_is_file_check', sql`is_file in (0, 1)`)
    .execute()

  await db.schema
    .createTable('secret_versions')
    .addColumn('secret_id', 'text', (col) =>
      col.notNull().references('secrets.id').onDelete('cascade'),
    )
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('ciphertext', binaryType, (col) => col.notNull())
    .addColumn('hint', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_by_name', 'text')
    .addPrimaryKeyConstraint('secret_versions_pk', ['secret_id', 'version'])
    .execute()

  // No foreign key on owner_id: the chain is append-only evidence and must not depend on, or be
  // deleted with, the rows it describes.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (col) => col.primaryKey().notNull())
    .addColumn('owner_id', 'text', (col) => col.notNull())
    .addColumn('seq', 'integer', (col) => col.notNull())
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('environment_id', 'text')
    .addColumn('hash', 'text', (col) => col.notNull())
    // The chain never forks: a second event with the same seq is refused (name_conflict).
    .addUniqueConstraint('audit_events_owner_seq_unique', ['owner_id', 'seq'])
    .execute()
  // listAuditEvents: one owner's events newest first, paged by (at, id), without a sort step.
  await db.schema
    .createIndex('audit_events_owner_at_idx')
    .on('audit_events')
    .columns(['owner_id', 'at', 'id'])
    .execute()
}
