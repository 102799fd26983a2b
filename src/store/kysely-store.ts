// The one implementation of `Store`, on Kysely, for SQLite and PostgreSQL alike. What differs
// between the engines arrives as `StoreTraits`; there is no dialect check in this file.
import { sql, type Kysely, type Selectable, type Updateable } from 'kysely'
import { CofferError } from '../domain/errors.js'
import type { OwnerRef, Team } from '../domain/types.js'
import { MIGRATION_TABLE, MIGRATIONS } from './migrations/index.js'
import type {
  AuditEventsTable,
  Database,
  OwnerKeysTable,
  PersonalTokensTable,
  SecretsTable,
  SecretVersionsTable,
  TeamsTable,
  UsersTable,
} from './schema.js'
import type {
  AuditRecord,
  Engine,
  OwnerKeyRecord,
  PersonalTokenRecord,
  SecretRecord,
  SecretVersionRecord,
  Store,
  UserRecord,
} from './store.js'

export interface StoreTraits {
  readonly engine: Engine
  /** True when `error` is the driver's unique or primary-key violation. */
  readonly isUniqueViolation: (error: unknown) => boolean
  /** Serializes writers of one owner until `tx` ends; `tx` is always a transaction. */
  readonly lockOwner: (tx: Kysely<Database>, ownerId: string) => Promise<void>
}

/** The `code` a driver puts on its errors (better-sqlite3: `SQLITE_…`, pg: SQLSTATE, node: `E…`). */
export function driverErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  return typeof error.code === 'string' ? error.code : undefined
}

export function createKyselyStore(db: Kysely<Database>, traits: StoreTraits): Store {
  let closing: Promise<void> | undefined
  return storeOn(db, traits, {
    transaction: (work) =>
      db.transaction().execute((trx) => work(storeOn(trx, traits, JOINED_SCOPE))),
    close: () => (closing ??= db.destroy()),
  })
}

/** How a store begins transactions and closes: the root store versus one inside a transaction. */
interface Scope {
  readonly transaction: <T>(work: (tx: Store) => Promise<T>, self: Store) => Promise<T>
  readonly close: () => Promise<void>
}

const JOINED_SCOPE: Scope = {
  // Nested calls join the outer transaction: the work sees the same connection and commits or
  // rolls back with it.
  transaction: (work, self) => work(self),
  close: () => Promise.reject(new Error('close() is for the root store, not a transaction')),
}

const TRUE_FALSE = (value: boolean) => (value ? 1 : 0)

/** Runs `run`, turning a unique-key violation into `name_conflict` with `words` as details.
 *  Security: the words are fixed text; driver messages may quote row values, so they stay in
 *  the cause, which is logged, never shown. */
async function uniquely<T>(traits: StoreTraits, words: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (!traits.isUniqueViolation(error)) throw error
    throw new CofferError('name_conflict', words, { cause: error })
  }
}

const toOwner = (row: { id: string; kind: OwnerRef['kind']; name: string }): OwnerRef => ({
  kind: row.kind,
  id: row.id,
  name: row.name,
})

const toUser = (row: Selectable<UsersTable>): UserRecord => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password_hash,
  isAdmin: row.is_admin === 1,
  disabled: row.disabled === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

const toTeam = (row: Selectable<TeamsTable>): Team => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  createdAt: row.created_at,
})

const toOwnerKey = (row: Selectable<OwnerKeysTable>): OwnerKeyRecord => ({
  ownerId: row.owner_id,
  masterKeyId: row.master_key_id,
  wrappedKey: row.wrapped_key,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

const toPersonalToken = (row: Selectable<PersonalTokensTable>): PersonalTokenRecord => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  kind: row.kind,
  tokenHash: row.token_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
})

const toSecret = (row: Selectable<SecretsTable>): SecretRecord => ({
  id: row.id,
  ownerId: row.owner_id,
  name: row.name,
  description: row.description,
  isFile: row.is_file === 1,
  version: row.version,
  hint: row.hint,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

const toSecretVersion = (row: Selectable<SecretVersionsTable>): SecretVersionRecord => ({
  secretId: row.secret_id,
  version: row.version,
  name: row.name,
  ciphertext: row.ciphertext,
  hint: row.hint,
  createdAt: row.created_at,
  createdBy: row.created_by,
  createdByName: row.created_by_name,
})

const toAuditRecord = (row: Selectable<AuditEventsTable>): AuditRecord => ({
  id: row.id,
  ownerId: row.owner_id,
  seq: row.seq,
  at: row.at,
  body: row.body,
  action: row.action,
  environmentId: row.environment_id,
  hash: row.hash,
})

/** pg returns count(*) (a bigint) as a string; better-sqlite3 as a number. */
const count = (row: { n: string | number | bigint } | undefined): number => Number(row?.n ?? 0)

function storeOn(db: Kysely<Database>, traits: StoreTraits, scope: Scope): Store {
  /** Runs `work` atomically: in the current transaction, or in a new one. */
  const atomically = <T>(work: (q: Kysely<Database>) => Promise<T>): Promise<T> =>
    db.isTransaction ? work(db) : db.transaction().execute(work)

  const store: Store = {
    engine: traits.engine,

    transaction: (work) => scope.transaction(work, store),

    async checkReady() {
      let applied: Set<string>
      try {
        const query = sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`
        const { rows } = await query.execute(db)
        applied = new Set(rows.map((row) => row.name))
      } catch (error) {
        throw new CofferError('unavailable', 'The database does not answer', { cause: error })
      }
      const missing = MIGRATIONS.filter((migration) => !applied.has(migration.name))
      if (missing.length > 0) {
        throw new CofferError('unavailable', 'The database schema is not up to date')
      }
    },

    close: () => scope.close(),

    async findOwnerByName(name) {
      const row = await db
        .selectFrom('owners')
        .select(['id', 'kind', 'name'])
        .where('name', '=', name)
        .executeTakeFirst()
      return row && toOwner(row)
    },

    async findOwnerById(id) {
      const row = await db
        .selectFrom('owners')
        .select(['id', 'kind', 'name'])
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toOwner(row)
    },

    async lockOwner(ownerId) {
      // Outside a transaction a lock would end with its own statement: that is a caller's bug.
      if (!db.isTransaction) throw new Error('lockOwner() needs a transaction')
      await traits.lockOwner(db, ownerId)
    },

    async countUsers() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst()
      return count(row)
    },

    async insertUser(user) {
      await uniquely(traits, 'The name is already taken by a user or team', () =>
        atomically(async (q) => {
          await q
            .insertInto('owners')
            .values({ id: user.id, kind: 'user', name: user.username, created_at: user.createdAt })
            .execute()
          await q
            .insertInto('users')
            .values({
              id: user.id,
              username: user.username,
              password_hash: user.passwordHash,
              is_admin: TRUE_FALSE(user.isAdmin),
              disabled: TRUE_FALSE(user.disabled),
              created_at: user.createdAt,
              updated_at: user.updatedAt,
            })
            .execute()
        }),
      )
    },

    async findUserById(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
      return row && toUser(row)
    },

    async findUserByName(username) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', username)
        .executeTakeFirst()
      return row && toUser(row)
    },

    async updateUser(id, patch) {
      const values: Updateable<UsersTable> = { updated_at: patch.updatedAt }
      if (patch.disabled !== undefined) values.disabled = TRUE_FALSE(patch.disabled)
      if (patch.isAdmin !== undefined) values.is_admin = TRUE_FALSE(patch.isAdmin)
      await db.updateTable('users').set(values).where('id', '=', id).execute()
    },

    async countActiveInstanceAdmins() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('is_admin', '=', 1)
        .where('disabled', '=', 0)
        .executeTakeFirst()
      return count(row)
    },

    async insertTeam(team) {
      await uniquely(traits, 'The name is already taken by a user or team', () =>
        atomically(async (q) => {
          await q
            .insertInto('owners')
            .values({ id: team.id, kind: 'team', name: team.slug, created_at: team.createdAt })
            .execute()
          await q
            .insertInto('teams')
            .values({ id: team.id, slug: team.slug, name: team.name, created_at: team.createdAt })
            .execute()
        }),
      )
    },

    async findTeamBySlug(slug) {
      const row = await db
        .selectFrom('teams')
        .selectAll()
        .where('slug', '=', slug)
        .executeTakeFirst()
      return row && toTeam(row)
    },

    async findTeamById(id) {
      const row = await db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst()
      return row && toTeam(row)
    },

    async listTeamsOfUser(userId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('teams', 'teams.id', 'memberships.team_id')
        .select(['teams.id', 'teams.slug', 'teams.name', 'teams.created_at', 'memberships.role'])
        .where('memberships.user_id', '=', userId)
        .orderBy('teams.slug')
        .execute()
      return rows.map((row) => ({ ...toTeam(row), role: row.role }))
    },

    async insertMembership(member) {
      await uniquely(traits, 'The user is already a member of the team', () =>
        db
          .insertInto('memberships')
          .values({
            team_id: member.teamId,
            user_id: member.userId,
            role: member.role,
            created_at: member.createdAt,
          })
          .execute(),
      )
    },

    async findMembership(teamId, userId) {
      const row = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select([
          'memberships.team_id',
          'memberships.user_id',
          'users.username',
          'memberships.role',
          'memberships.created_at',
        ])
        .where('memberships.team_id', '=', teamId)
        .where('memberships.user_id', '=', userId)
        .executeTakeFirst()
      return (
        row && {
          teamId: row.team_id,
          userId: row.user_id,
          username: row.username,
          role: row.role,
          createdAt: row.created_at,
        }
      )
    },

    async listMembers(teamId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select([
          'memberships.team_id',
          'memberships.user_id',
          'users.username',
          'memberships.role',
          'memberships.created_at',
        ])
        .where('memberships.team_id', '=', teamId)
        .orderBy('users.username')
        .execute()
      return rows.map((row) => ({
        teamId: row.team_id,
        userId: row.user_id,
        username: row.username,
        role: row.role,
        createdAt: row.created_at,
      }))
    },

    async updateMembershipRole(teamId, userId, role) {
      await db
        .updateTable('memberships')
        .set({ role })
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .execute()
    },

    async deleteMembership(teamId, userId) {
      await db
        .deleteFrom('memberships')
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .execute()
    },

    async countTeamAdmins(teamId) {
      const row = await db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('team_id', '=', teamId)
        .where('role', '=', 'admin')
        .executeTakeFirst()
      return count(row)
    },

    async insertOwnerKey(key) {
      await uniquely(traits, 'The owner already has a data key', () =>
        db
          .insertInto('owner_keys')
          .values({
            owner_id: key.ownerId,
            master_key_id: key.masterKeyId,
            wrapped_key: key.wrappedKey,
            created_at: key.createdAt,
            updated_at: key.updatedAt,
          })
          .execute(),
      )
    },

    async findOwnerKey(ownerId) {
      const row = await db
        .selectFrom('owner_keys')
        .selectAll()
        .where('owner_id', '=', ownerId)
        .executeTakeFirst()
      return row && toOwnerKey(row)
    },

    async listOwnerKeys() {
      const rows = await db.selectFrom('owner_keys').selectAll().orderBy('owner_id').execute()
      return rows.map(toOwnerKey)
    },

    async updateOwnerKey(ownerId, patch) {
      await db
        .updateTable('owner_keys')
        .set({
          master_key_id: patch.masterKeyId,
          wrapped_key: patch.wrappedKey,
          updated_at: patch.updatedAt,
        })
        .where('owner_id', '=', ownerId)
        .execute()
    },

    async insertPersonalToken(token) {
      await uniquely(traits, 'The token already exists', () =>
        db
          .insertInto('personal_tokens')
          .values({
            id: token.id,
            user_id: token.userId,
            name: token.name,
            kind: token.kind,
            token_hash: token.tokenHash,
            created_at: token.createdAt,
            expires_at: token.expiresAt,
            last_used_at: token.lastUsedAt,
          })
          .execute(),
      )
    },

    async findPersonalTokenByHash(tokenHash) {
      const row = await db
        .selectFrom('personal_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst()
      return row && toPersonalToken(row)
    },

    async listPersonalTokens(userId) {
      const rows = await db
        .selectFrom('personal_tokens')
        .selectAll()
        .where('user_id', '=', userId)
        .where('kind', '=', 'token')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute()
      return rows.map(toPersonalToken)
    },

    async deletePersonalToken(userId, tokenId) {
      const result = await db
        .deleteFrom('personal_tokens')
        .where('id', '=', tokenId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async touchPersonalToken(tokenId, at) {
      await db
        .updateTable('personal_tokens')
        .set({ last_used_at: at })
        .where('id', '=', tokenId)
        .execute()
    },

    async findLoginThrottle(key) {
      const row = await db
        .selectFrom('login_throttle')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirst()
      return row && { key: row.key, windowStart: row.window_start, failures: row.failures }
    },

    async saveLoginThrottle(record) {
      const values = { window_start: record.windowStart, failures: record.failures }
      await db
        .insertInto('login_throttle')
        .values({ key: record.key, ...values })
        .onConflict((conflict) => conflict.column('key').doUpdateSet(values))
        .execute()
    },

    async deleteLoginThrottle(key) {
      await db.deleteFrom('login_throttle').where('key', '=', key).execute()
    },

    async insertSecret(secret) {
      await uniquely(traits, 'The owner already has a secret with this name', () =>
        db
          .insertInto('secrets')
          .values({
            id: secret.id,
            owner_id: secret.ownerId,
            name: secret.name,
            description: secret.description,
            is_file: TRUE_FALSE(secret.isFile),
            version: secret.version,
            hint: secret.hint,
            created_at: secret.createdAt,
            updated_at: secret.updatedAt,
          })
          .execute(),
      )
    },

    async findSecretById(id) {
      const row = await db.selectFrom('secrets').selectAll().where('id', '=', id).executeTakeFirst()
      return row && toSecret(row)
    },

    async findSecretByName(ownerId, name) {
      const row = await db
        .selectFrom('secrets')
        .selectAll()
        .where('owner_id', '=', ownerId)
        .where('name', '=', name)
        .executeTakeFirst()
      return row && toSecret(row)
    },

    async listSecrets(ownerId, page) {
      let query = db.selectFrom('secrets').selectAll().where('owner_id', '=', ownerId)
      if (page.after !== undefined) query = query.where('name', '>', page.after)
      const rows = await query.orderBy('name').limit(page.limit).execute()
      return rows.map(toSecret)
    },

    async updateSecret(id, patch) {
      const values: Updateable<SecretsTable> = { updated_at: patch.updatedAt }
      if (patch.name !== undefined) values.name = patch.name
      if (patch.description !== undefined) values.description = patch.description
      if (patch.version !== undefined) values.version = patch.version
      if (patch.hint !== undefined) values.hint = patch.hint
      await uniquely(traits, 'The owner already has a secret with this name', () =>
        db.updateTable('secrets').set(values).where('id', '=', id).execute(),
      )
    },

    async deleteSecret(id) {
      // secret_versions go with it: ON DELETE CASCADE (SQLite enforces it with foreign_keys=ON).
      await db.deleteFrom('secrets').where('id', '=', id).execute()
    },

    async insertSecretVersion(version) {
      await uniquely(traits, 'This version of the secret already exists', () =>
        db
          .insertInto('secret_versions')
          .values({
            secret_id: version.secretId,
            version: version.version,
            name: version.name,
            ciphertext: version.ciphertext,
            hint: version.hint,
            created_at: version.createdAt,
            created_by: version.createdBy,
            created_by_name: version.createdByName,
          })
          .execute(),
      )
    },

    async findSecretVersion(secretId, version) {
      const row = await db
        .selectFrom('secret_versions')
        .selectAll()
        .where('secret_id', '=', secretId)
        .where('version', '=', version)
        .executeTakeFirst()
      return row && toSecretVersion(row)
    },

    async listSecretVersions(secretId) {
      const rows = await db
        .selectFrom('secret_versions')
        .selectAll()
        .where('secret_id', '=', secretId)
        .orderBy('version', 'desc')
        .execute()
      return rows.map(toSecretVersion)
    },

    async pruneSecretVersions(secretId, keep) {
      // One statement: delete every version at or below the (keep+1)-th newest. With fewer
      // versions than that the subquery is NULL and the comparison deletes nothing.
      await db
        .deleteFrom('secret_versions')
        .where('secret_id', '=', secretId)
        .where('version', '<=', (eb) =>
          eb
            .selectFrom('secret_versions')
            .select('version')
            .where('secret_id', '=', secretId)
            .orderBy('version', 'desc')
            .limit(1)
            .offset(Math.max(0, Math.trunc(keep))),
        )
        .execute()
    },

    async findAuditHead(ownerId) {
      return db
        .selectFrom('audit_events')
        .select(['seq', 'hash'])
        .where('owner_id', '=', ownerId)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst()
    },

    async insertAuditEvent(event) {
      await uniquely(traits, 'The audit chain already has an event at this position', () =>
        db
          .insertInto('audit_events')
          .values({
            id: event.id,
            owner_id: event.ownerId,
            seq: event.seq,
            at: event.at,
            body: event.body,
            action: event.action,
            environment_id: event.environmentId,
            hash: event.hash,
          })
          .execute(),
      )
    },

    async listAuditEvents(filter) {
      if (filter.ownerIds.length === 0) return []
      let query = db.selectFrom('audit_events').selectAll().where('owner_id', 'in', filter.ownerIds)
      if (filter.action !== undefined) query = query.where('action', '=', filter.action)
      if (filter.environmentId !== undefined) {
        query = query.where('environment_id', '=', filter.environmentId)
      }
      if (filter.since !== undefined) query = query.where('at', '>=', filter.since)
      const { before } = filter
      if (before !== undefined) {
        query = query.where((eb) =>
          eb(eb.refTuple('at', 'id'), '<', eb.tuple(before.at, before.id)),
        )
      }
      const rows = await query
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit)
        .execute()
      return rows.map(toAuditRecord)
    },
  }
  return store
}
