// Kysely's view of the tables, column for column as migrations/ creates them. Timestamps are
// ISO-8601 TEXT and booleans INTEGER 0/1 on both engines; kysely-store.ts maps rows to records.
import type { ProviderName } from '../domain/providers.js'
import type { EntrySource, OwnerKind, Role } from '../domain/types.js'
import type { ConsumerRecord, PersonalTokenKind } from './store.js'

/** INTEGER 0/1: better-sqlite3 cannot bind booleans, so both engines store integers. */
export type IntBoolean = 0 | 1

export interface OwnersTable {
  id: string
  kind: OwnerKind
  /** A username or a team slug: one unique name space for both (SPEC.md §1). */
  name: string
  created_at: string
}

export interface UsersTable {
  id: string
  username: string
  password_hash: string
  is_admin: IntBoolean
  disabled: IntBoolean
  created_at: string
  updated_at: string
}

export interface TeamsTable {
  id: string
  slug: string
  name: string
  created_at: string
}

export interface MembershipsTable {
  team_id: string
  user_id: string
  role: Role
  created_at: string
}

export interface OwnerKeysTable {
  owner_id: string
  master_key_id: string
  wrapped_key: Buffer
  created_at: string
  updated_at: string
}

export interface PersonalTokensTable {
  id: string
  user_id: string
  name: string
  kind: PersonalTokenKind
  token_hash: string
  created_at: string
  expires_at: string | null
  last_used_at: string | null
}

export interface LoginThrottleTable {
  key: string
  window_start: string
  failures: number
}

export interface SecretsTable {
  id: string
  owner_id: string
  name: string
  description: string
  is_file: IntBoolean
  version: number
  hint: string | null
  created_at: string
  updated_at: string
}

export interface SecretVersionsTable {
  secret_id: string
  version: number
  name: string
  ciphertext: Buffer
  hint: string | null
  created_at: string
  created_by: string | null
  created_by_name: string | null
}

export interface AuditEventsTable {
  id: string
  owner_id: string
  seq: number
  at: string
  body: string
  action: string
  environment_id: string | null
  hash: string
}

export interface EnvironmentsTable {
  id: string
  owner_id: string
  name: string
  description: string
  revision: number
  /** JSON of the stored requirements, or null. */
  requirements: string | null
  created_at: string
  updated_at: string
}

/** The names taken in each environment, whatever kind of entry holds them (SPEC.md §1
 *  "Conflict rules"): its primary key is what makes two concurrent claims yield one winner. */
export interface EnvironmentNamesTable {
  environment_id: string
  name: string
  kind: EntrySource
  entry_id: string
}

export interface DirectSecretsTable {
  id: string
  environment_id: string
  name: string
  description: string
  version: number
  hint: string | null
  generator: string | null
  updated_revision: number
  created_at: string
  updated_at: string
}

export interface DirectSecretVersionsTable {
  secret_id: string
  version: number
  name: string
  ciphertext: Buffer
  hint: string | null
  created_at: string
  created_by: string | null
  created_by_name: string | null
}

export interface VariablesTable {
  id: string
  environment_id: string
  name: string
  value: string
  description: string
  updated_revision: number
  created_at: string
  updated_at: string
}

export interface EnvironmentLinksTable {
  id: string
  environment_id: string
  secret_id: string
  updated_revision: number
  created_at: string
}

export interface RuntimeTokensTable {
  id: string
  environment_id: string
  name: string
  token_hash: string
  previous_token_hash: string | null
  previous_expires_at: string | null
  created_at: string
  expires_at: string | null
  last_used_at: string | null
}

export interface EnvironmentConsumersTable {
  environment_id: string
  kind: ConsumerRecord['kind']
  consumer_id: string
  name: string
  last_resolved_at: string
  last_resolved_revision: number
}

/** An AI provider connection (SPEC.md §1.5); its key lives in provider_key_versions. */
export interface ProviderConnectionsTable {
  id: string
  owner_id: string
  provider: ProviderName
  label: string
  base_url: string | null
  version: number
  hint: string | null
  last_test_ok: IntBoolean | null
  last_tested_at: string | null
  created_at: string
  updated_at: string
}

export interface ProviderKeyVersionsTable {
  connection_id: string
  version: number
  name: string
  ciphertext: Buffer
  hint: string | null
  created_at: string
  created_by: string | null
  created_by_name: string | null
}

export interface EnvironmentProvidersTable {
  id: string
  environment_id: string
  connection_id: string
  provider: ProviderName
  updated_revision: number
  created_at: string
}

export interface Database {
  owners: OwnersTable
  users: UsersTable
  teams: TeamsTable
  memberships: MembershipsTable
  owner_keys: OwnerKeysTable
  personal_tokens: PersonalTokensTable
  login_throttle: LoginThrottleTable
  secrets: SecretsTable
  secret_versions: SecretVersionsTable
  audit_events: AuditEventsTable
  environments: EnvironmentsTable
  environment_names: EnvironmentNamesTable
  direct_secrets: DirectSecretsTable
  direct_secret_versions: DirectSecretVersionsTable
  variables: VariablesTable
  environment_links: EnvironmentLinksTable
  runtime_tokens: RuntimeTokensTable
  environment_consumers: EnvironmentConsumersTable
  provider_connections: ProviderConnectionsTable
  provider_key_versions: ProviderKeyVersionsTable
  environment_providers: EnvironmentProvidersTable
}
