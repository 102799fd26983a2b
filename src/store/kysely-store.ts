// The one implementation of `Store`, on Kysely, for SQLite and PostgreSQL alike. What differs
// between the engines arrives as `StoreTraits`; there is no dialect check in this file.
import { sql, type Kysely, type Selectable, type Updateable } from 'kysely'
import { CofferError } from '../domain/errors.js'
import type { OwnerRef, Team } from '../domain/types.js'
import { MIGRATION_TABLE, MIGRATIONS } from './migrations/index.js'
import { prepareQuery, type PreparedQuery } from './prepared.js'
import type {
  AuditEventsTable,
  Database,
  DirectSecretsTable,
  EnvironmentConsumersTable,
  EnvironmentLinksTable,
  EnvironmentNamesTable,
  EnvironmentsTable,
  OwnerKeysTable,
  PersonalTokensTable,
  ProviderConnectionsTable,
  ProviderKeyVersionsTable,
  RuntimeTokensTable,
  SecretsTable,
  SecretVersionsTable,
  TeamsTable,
  UsersTable,
  VariablesTable,
} from './schema.js'
import type {
  AuditRecord,
  ClaimedName,
  ConsumerRecord,
  DirectSecretRecord,
  Engine,
  EnvironmentRecord,
  LinkRecord,
  OwnerKeyRecord,
  PersonalTokenRecord,
  ProviderConnectionRecord,
  RevisionChange,
  RevisionListener,
  RuntimeTokenRecord,
  SecretRecord,
  SecretVersionRecord,
  Store,
  UserRecord,
  VariableRecord,
} from './store.js'

export interface StoreTraits {
  readonly engine: Engine
  /** True when `error` is the driver's unique or primary-key violation. */
  readonly isUniqueViolation: (error: unknown) => boolean
  /** True when `error` is the driver's foreign-key violation (e.g. deleting a linked secret). */
  readonly isForeignKeyViolation: (error: unknown) => boolean
  /** Serializes writers of one owner until `tx` ends; `tx` is always a transaction. */
  readonly lockOwner: (tx: Kysely<Database>, ownerId: string) => Promise<void>
  /** Tells other replicas about a revision move, inside the transaction (PostgreSQL: pg_notify,
   *  which the database delivers at commit). Absent on SQLite: one process per database file. */
  readonly notifyRevision?: (tx: Kysely<Database>, change: RevisionChange) => Promise<void>
  /** Starts listening for other replicas' revision moves; resolves once listening, with the
   *  function that stops. `onChange(null)`: notifications may have been lost (reconnected). */
  readonly listenRevisions?: (
    onChange: (change: RevisionChange | null) => void,
  ) => Promise<() => Promise<void>>
}

/** Fans revision moves out to this store's subscribers (long polls). */
class RevisionBus {
  private readonly listeners = new Set<RevisionListener>()
  private listening: Promise<() => Promise<void>> | undefined
  private readonly traits: StoreTraits

  constructor(traits: StoreTraits) {
    this.traits = traits
  }

  emit(change: RevisionChange | null): void {
    for (const listener of this.listeners) {
      try {
        listener(change)
      } catch {
        // A listener's failure must not keep the others from hearing, nor fail a commit.
      }
    }
  }

  async subscribe(listener: RevisionListener): Promise<() => void> {
    this.listeners.add(listener)
    if (this.traits.listenRevisions) {
      this.listening ??= this.traits.listenRevisions((change) => {
        this.emit(change)
      })
      try {
        await this.listening
      } catch (error) {
        this.listening = undefined
        this.listeners.delete(listener)
        throw error
      }
    }
    return () => {
      this.listeners.delete(listener)
    }
  }

  async stop(): Promise<void> {
    this.listeners.clear()
    const listening = this.listening
    this.listening = undefined
    if (listening) await (await listening.catch(() => () => Promise.resolve()))()
  }
}

/** The `code` a driver puts on its errors (better-sqlite3: `SQLITE_…`, pg: SQLSTATE, node: `E…`). */
export function driverErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  return typeof error.code === 'string' ? error.code : undefined
}

export function createKyselyStore(
  db: Kysely<Database>,
  traits: StoreTraits,
  options: { beforeClose?: () => Promise<void> } = {},
): Store {
  let closing: Promise<void> | undefined
  const bus = new RevisionBus(traits)
  const hot = createHotQueries()
  return storeOn(db, traits, bus, hot, {
    async transaction(work) {
      const committed: RevisionChange[] = []
      const result = await db
        .transaction()
        .execute((trx) => work(storeOn(trx, traits, bus, hot, joinedScope(committed))))
      // Only now are the moves visible to others: tell this process's listeners.
      for (const change of committed) bus.emit(change)
      return result
    },
    close: () =>
      (closing ??= (async () => {
        await bus.stop()
        await options.beforeClose?.()
        await db.destroy()
      })()),
  })
}

/** The queries every resolve makes, compiled once per store (prepared.ts). */
function createHotQueries() {
  type AuditValue = string | number | null
  // One INSERT per number of rows: a resolve batch holds as many as requests arrived together.
  const auditInserts = new Map<number, PreparedQuery<AuditValue[], unknown>>()
  return {
    insertAuditRows(count: number): PreparedQuery<AuditValue[], unknown> {
      let prepared = auditInserts.get(count)
      if (!prepared) {
        prepared = prepareQuery((db, ...values: AuditValue[]) =>
          db.insertInto('audit_events').values(
            Array.from({ length: count }, (_, row) => {
              const at = (column: number) => values[row * 8 + column] as never
              return {
                id: at(0),
                owner_id: at(1),
                seq: at(2),
                at: at(3),
                body: at(4),
                action: at(5),
                environment_id: at(6),
                hash: at(7),
              }
            }),
          ),
        )
        auditInserts.set(count, prepared)
      }
      return prepared
    },
    ownerByName: prepareQuery((db, name: string) =>
      db.selectFrom('owners').select(['id', 'kind', 'name']).where('name', '=', name),
    ),
    environmentByName: prepareQuery((db, ownerId: string, name: string) =>
      db
        .selectFrom('environments')
        .selectAll()
        .where('owner_id', '=', ownerId)
        .where('name', '=', name),
    ),
    environmentWithOwner: prepareQuery((db, id: string) =>
      db
        .selectFrom('environments')
        .innerJoin('owners', 'owners.id', 'environments.owner_id')
        .selectAll('environments')
        .select(['owners.kind as owner_kind', 'owners.name as owner_name'])
        .where('environments.id', '=', id),
    ),
    // Two plain unique-index probes, not one OR (which PostgreSQL plans as a BitmapOr of both
    // indexes): a token is nearly always found by its current hash, the first probe.
    runtimeTokenByHash: prepareQuery((db, tokenHash: string) =>
      db.selectFrom('runtime_tokens').selectAll().where('token_hash', '=', tokenHash),
    ),
    runtimeTokenByPreviousHash: prepareQuery((db, tokenHash: string) =>
      db.selectFrom('runtime_tokens').selectAll().where('previous_token_hash', '=', tokenHash),
    ),
    auditHead: prepareQuery((db, ownerId: string) =>
      db
        .selectFrom('audit_events')
        .select(['seq', 'hash'])
        .where('owner_id', '=', ownerId)
        .orderBy('seq', 'desc')
        .limit(sql.lit(1)),
    ),
    upsertConsumer: prepareQuery(
      (
        db,
        environmentId: string,
        kind: ConsumerRecord['kind'],
        consumerId: string,
        name: string,
        lastResolvedAt: string,
        lastResolvedRevision: number,
      ) => {
        const values = {
          name,
          last_resolved_at: lastResolvedAt,
          last_resolved_revision: lastResolvedRevision,
        }
        return db
          .insertInto('environment_consumers')
          .values({ environment_id: environmentId, kind, consumer_id: consumerId, ...values })
          .onConflict((oc) =>
            oc
              .columns(['environment_id', 'kind', 'consumer_id'])
              .doUpdateSet(values)
              // Batches may commit out of order: an older resolve never replaces a newer one.
              .where((eb) =>
                eb.or([
                  eb(
                    'environment_consumers.last_resolved_revision',
                    '<',
                    eb.ref('excluded.last_resolved_revision'),
                  ),
                  eb.and([
                    eb(
                      'environment_consumers.last_resolved_revision',
                      '=',
                      eb.ref('excluded.last_resolved_revision'),
                    ),
                    eb(
                      'environment_consumers.last_resolved_at',
                      '<=',
                      eb.ref('excluded.last_resolved_at'),
                    ),
                  ]),
                ]),
              ),
          )
      },
    ),
  }
}

type HotQueries = ReturnType<typeof createHotQueries>

/** How a store begins transactions and closes: the root store versus one inside a transaction. */
interface Scope {
  readonly transaction: <T>(work: (tx: Store) => Promise<T>, self: Store) => Promise<T>
  readonly close: () => Promise<void>
  /** Inside a transaction: revision moves to announce once it commits. */
  readonly pendingRevisions?: RevisionChange[]
}

const joinedScope = (pendingRevisions: RevisionChange[]): Scope => ({
  // Nested calls join the outer transaction: the work sees the same connection and commits or
  // rolls back with it.
  transaction: (work, self) => work(self),
  close: () => Promise.reject(new Error('close() is for the root store, not a transaction')),
  pendingRevisions,
})

const TRUE_FALSE = (value: boolean) => (value ? 1 : 0)

/** Rows per multi-row INSERT: 8 parameters each stays far below either engine's limit. */
const AUDIT_ROWS_PER_INSERT = 100

async function insertAuditRows(
  db: Kysely<Database>,
  traits: StoreTraits,
  hot: HotQueries,
  events: readonly AuditRecord[],
): Promise<void> {
  for (let start = 0; start < events.length; start += AUDIT_ROWS_PER_INSERT) {
    const chunk = events.slice(start, start + AUDIT_ROWS_PER_INSERT)
    const values = chunk.flatMap((event) => [
      event.id,
      event.ownerId,
      event.seq,
      event.at,
      event.body,
      event.action,
      event.environmentId,
      event.hash,
    ])
    await uniquely(traits, 'The audit chain already has an event at this position', () =>
      hot.insertAuditRows(chunk.length)(db, ...values),
    )
  }
}

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

/** Runs `run`, turning a foreign-key violation into `still_linked` with `words` as details. The
 *  same security rule as `uniquely`: fixed words, the driver's message stays in the cause. */
async function unreferenced<T>(
  traits: StoreTraits,
  words: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (!traits.isForeignKeyViolation(error)) throw error
    throw new CofferError('still_linked', words, { cause: error })
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

const toEnvironment = (row: Selectable<EnvironmentsTable>): EnvironmentRecord => ({
  id: row.id,
  ownerId: row.owner_id,
  name: row.name,
  description: row.description,
  revision: row.revision,
  requirements: row.requirements,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

const toClaim = (row: Selectable<EnvironmentNamesTable>): ClaimedName => ({
  environmentId: row.environment_id,
  name: row.name,
  kind: row.kind,
  entryId: row.entry_id,
})

const toDirectSecret = (row: Selectable<DirectSecretsTable>): DirectSecretRecord => ({
  id: row.id,
  environmentId: row.environment_id,
  name: row.name,
  description: row.description,
  version: row.version,
  hint: row.hint,
  generator: row.generator,
  updatedRevision: row.updated_revision,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

const toVariable = (row: Selectable<VariablesTable>): VariableRecord => ({
  id: row.id,
  environmentId: row.environment_id,
  name: row.name,
  value: row.value,
  description: row.description,
  updatedRevision: row.updated_revision,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

const toLink = (row: Selectable<EnvironmentLinksTable>): LinkRecord => ({
  id: row.id,
  environmentId: row.environment_id,
  secretId: row.secret_id,
  updatedRevision: row.updated_revision,
  createdAt: row.created_at,
})

const toRuntimeToken = (row: Selectable<RuntimeTokensTable>): RuntimeTokenRecord => ({
  id: row.id,
  environmentId: row.environment_id,
  name: row.name,
  tokenHash: row.token_hash,
  previousTokenHash: row.previous_token_hash,
  previousExpiresAt: row.previous_expires_at,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
})

const toProviderConnection = (
  row: Selectable<ProviderConnectionsTable>,
): ProviderConnectionRecord => ({
  id: row.id,
  ownerId: row.owner_id,
  provider: row.provider,
  label: row.label,
  baseUrl: row.base_url,
  version: row.version,
  hint: row.hint,
  lastTestOk: row.last_test_ok === null ? null : row.last_test_ok === 1,
  lastTestedAt: row.last_tested_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

const toProviderKeyVersion = (row: Selectable<ProviderKeyVersionsTable>): SecretVersionRecord => ({
  secretId: row.connection_id,
  version: row.version,
  name: row.name,
  ciphertext: row.ciphertext,
  hint: row.hint,
  createdAt: row.created_at,
  createdBy: row.created_by,
  createdByName: row.created_by_name,
})

const toConsumer = (row: Selectable<EnvironmentConsumersTable>): ConsumerRecord => ({
  environmentId: row.environment_id,
  kind: row.kind,
  consumerId: row.consumer_id,
  name: row.name,
  lastResolvedAt: row.last_resolved_at,
  lastResolvedRevision: row.last_resolved_revision,
})

/** How often claimName retries when the holder it lost to let go before it could be read. */
const CLAIM_ATTEMPTS = 3

/** pg returns count(*) (a bigint) as a string; better-sqlite3 as a number. */
const count = (row: { n: string | number | bigint } | undefined): number => Number(row?.n ?? 0)

function storeOn(
  db: Kysely<Database>,
  traits: StoreTraits,
  bus: RevisionBus,
  hot: HotQueries,
  scope: Scope,
): Store {
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
      const [row] = await hot.ownerByName(db, name)
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
      // environment_links RESTRICT it: the service checks listLinksOfSecret first and names the
      // environments; this is the backstop, and the failed statement deletes nothing.
      await unreferenced(
        traits,
        'The secret is still linked to an environment; unlink it first',
        () => db.deleteFrom('secrets').where('id', '=', id).execute(),
      )
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
      const [row] = await hot.auditHead(db, ownerId)
      return row
    },

    insertAuditEvent: (event) => insertAuditRows(db, traits, hot, [event]),

    insertAuditEvents: (events) => insertAuditRows(db, traits, hot, events),

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

    async insertEnvironment(environment) {
      await uniquely(traits, 'The owner already has an environment with this name', () =>
        db
          .insertInto('environments')
          .values({
            id: environment.id,
            owner_id: environment.ownerId,
            name: environment.name,
            description: environment.description,
            revision: environment.revision,
            requirements: environment.requirements,
            created_at: environment.createdAt,
            updated_at: environment.updatedAt,
          })
          .execute(),
      )
    },

    async findEnvironmentById(id) {
      const row = await db
        .selectFrom('environments')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toEnvironment(row)
    },

    async findEnvironmentByName(ownerId, name) {
      const [row] = await hot.environmentByName(db, ownerId, name)
      return row && toEnvironment(row)
    },

    async findEnvironmentWithOwner(id) {
      const [row] = await hot.environmentWithOwner(db, id)
      return (
        row && {
          environment: toEnvironment(row),
          owner: toOwner({ id: row.owner_id, kind: row.owner_kind, name: row.owner_name }),
        }
      )
    },

    async listEnvironments(ownerId, page) {
      let query = db.selectFrom('environments').selectAll().where('owner_id', '=', ownerId)
      if (page.after !== undefined) query = query.where('name', '>', page.after)
      const rows = await query.orderBy('name').limit(page.limit).execute()
      return rows.map(toEnvironment)
    },

    async updateEnvironment(id, patch) {
      const values: Updateable<EnvironmentsTable> = { updated_at: patch.updatedAt }
      if (patch.description !== undefined) values.description = patch.description
      if (patch.requirements !== undefined) values.requirements = patch.requirements
      await db.updateTable('environments').set(values).where('id', '=', id).execute()
    },

    async deleteEnvironment(id) {
      // Everything in it goes by ON DELETE CASCADE: claims, direct secrets (and, through them,
      // their versions), variables, links, runtime tokens and consumers. Linked global secrets
      // stay: only the links to them are deleted.
      await db.deleteFrom('environments').where('id', '=', id).execute()
    },

    async bumpRevision(environmentId, updatedAt) {
      const row = await db
        .updateTable('environments')
        .set((eb) => ({ revision: eb('revision', '+', 1), updated_at: updatedAt }))
        .where('id', '=', environmentId)
        .returning('revision')
        .executeTakeFirst()
      if (!row) throw new CofferError('not_found', 'The environment does not exist')
      const change: RevisionChange = { environmentId, revision: row.revision }
      if (traits.notifyRevision) await traits.notifyRevision(db, change)
      // In a transaction, listeners hear of it after the commit; outside one, it is committed.
      if (scope.pendingRevisions) scope.pendingRevisions.push(change)
      else bus.emit(change)
      return row.revision
    },

    async claimName(claim) {
      for (let attempt = 1; ; attempt++) {
        // The primary key (environment_id, name) decides: a concurrent claimer's insert waits
        // for ours to commit or roll back (PostgreSQL), or runs after it (SQLite's one writer).
        const inserted = await db
          .insertInto('environment_names')
          .values({
            environment_id: claim.environmentId,
            name: claim.name,
            kind: claim.kind,
            entry_id: claim.entryId,
          })
          .onConflict((oc) => oc.columns(['environment_id', 'name']).doNothing())
          .returning('name')
          .executeTakeFirst()
        if (inserted) return undefined
        // READ COMMITTED: this statement sees the holder's row once its transaction committed.
        const holder = await store.findClaim(claim.environmentId, claim.name)
        if (holder) return holder
        // The holder released the name between our two statements: try again.
        if (attempt >= CLAIM_ATTEMPTS) {
          throw new CofferError('unavailable', 'The name is changing hands; try again')
        }
      }
    },

    async releaseName(environmentId, name, entryId) {
      await db
        .deleteFrom('environment_names')
        .where('environment_id', '=', environmentId)
        .where('name', '=', name)
        .where('entry_id', '=', entryId)
        .execute()
    },

    async findClaim(environmentId, name) {
      const row = await db
        .selectFrom('environment_names')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .where('name', '=', name)
        .executeTakeFirst()
      return row && toClaim(row)
    },

    async listClaims(environmentId) {
      const rows = await db
        .selectFrom('environment_names')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .orderBy('name')
        .execute()
      return rows.map(toClaim)
    },

    async insertDirectSecret(secret) {
      await uniquely(traits, 'The environment already has a direct secret with this name', () =>
        db
          .insertInto('direct_secrets')
          .values({
            id: secret.id,
            environment_id: secret.environmentId,
            name: secret.name,
            description: secret.description,
            version: secret.version,
            hint: secret.hint,
            generator: secret.generator,
            updated_revision: secret.updatedRevision,
            created_at: secret.createdAt,
            updated_at: secret.updatedAt,
          })
          .execute(),
      )
    },

    async findDirectSecret(environmentId, id) {
      const row = await db
        .selectFrom('direct_secrets')
        .selectAll()
        .where('id', '=', id)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst()
      return row && toDirectSecret(row)
    },

    async listDirectSecrets(environmentId) {
      const rows = await db
        .selectFrom('direct_secrets')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .orderBy('name')
        .execute()
      return rows.map(toDirectSecret)
    },

    async updateDirectSecret(id, patch) {
      const values: Updateable<DirectSecretsTable> = { updated_at: patch.updatedAt }
      if (patch.name !== undefined) values.name = patch.name
      if (patch.description !== undefined) values.description = patch.description
      if (patch.version !== undefined) values.version = patch.version
      if (patch.hint !== undefined) values.hint = patch.hint
      if (patch.updatedRevision !== undefined) values.updated_revision = patch.updatedRevision
      await uniquely(traits, 'The environment already has a direct secret with this name', () =>
        db.updateTable('direct_secrets').set(values).where('id', '=', id).execute(),
      )
    },

    async deleteDirectSecret(id) {
      // direct_secret_versions go with it: ON DELETE CASCADE.
      await db.deleteFrom('direct_secrets').where('id', '=', id).execute()
    },

    async insertDirectSecretVersion(version) {
      await uniquely(traits, 'This version of the secret already exists', () =>
        db
          .insertInto('direct_secret_versions')
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

    async findDirectSecretVersion(secretId, version) {
      const row = await db
        .selectFrom('direct_secret_versions')
        .selectAll()
        .where('secret_id', '=', secretId)
        .where('version', '=', version)
        .executeTakeFirst()
      return row && toSecretVersion(row)
    },

    async listDirectSecretVersions(secretId) {
      const rows = await db
        .selectFrom('direct_secret_versions')
        .selectAll()
        .where('secret_id', '=', secretId)
        .orderBy('version', 'desc')
        .execute()
      return rows.map(toSecretVersion)
    },

    async pruneDirectSecretVersions(secretId, keep) {
      // As pruneSecretVersions: one statement, nothing deleted when there are few enough.
      await db
        .deleteFrom('direct_secret_versions')
        .where('secret_id', '=', secretId)
        .where('version', '<=', (eb) =>
          eb
            .selectFrom('direct_secret_versions')
            .select('version')
            .where('secret_id', '=', secretId)
            .orderBy('version', 'desc')
            .limit(1)
            .offset(Math.max(0, Math.trunc(keep))),
        )
        .execute()
    },

    async listCurrentDirectSecretVersions(environmentId) {
      const rows = await db
        .selectFrom('direct_secrets')
        .innerJoin('direct_secret_versions', (join) =>
          join
            .onRef('direct_secret_versions.secret_id', '=', 'direct_secrets.id')
            .onRef('direct_secret_versions.version', '=', 'direct_secrets.version'),
        )
        .selectAll('direct_secret_versions')
        .where('direct_secrets.environment_id', '=', environmentId)
        .orderBy('direct_secrets.name')
        .execute()
      return rows.map(toSecretVersion)
    },

    async insertVariable(variable) {
      await uniquely(traits, 'The environment already has a variable with this name', () =>
        db
          .insertInto('variables')
          .values({
            id: variable.id,
            environment_id: variable.environmentId,
            name: variable.name,
            value: variable.value,
            description: variable.description,
            updated_revision: variable.updatedRevision,
            created_at: variable.createdAt,
            updated_at: variable.updatedAt,
          })
          .execute(),
      )
    },

    async findVariable(environmentId, id) {
      const row = await db
        .selectFrom('variables')
        .selectAll()
        .where('id', '=', id)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst()
      return row && toVariable(row)
    },

    async listVariables(environmentId) {
      const rows = await db
        .selectFrom('variables')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .orderBy('name')
        .execute()
      return rows.map(toVariable)
    },

    async updateVariable(id, patch) {
      const values: Updateable<VariablesTable> = { updated_at: patch.updatedAt }
      if (patch.name !== undefined) values.name = patch.name
      if (patch.value !== undefined) values.value = patch.value
      if (patch.description !== undefined) values.description = patch.description
      if (patch.updatedRevision !== undefined) values.updated_revision = patch.updatedRevision
      await uniquely(traits, 'The environment already has a variable with this name', () =>
        db.updateTable('variables').set(values).where('id', '=', id).execute(),
      )
    },

    async deleteVariable(id) {
      await db.deleteFrom('variables').where('id', '=', id).execute()
    },

    async insertLink(link) {
      await uniquely(traits, 'The secret is already linked to this environment', () =>
        db
          .insertInto('environment_links')
          .values({
            id: link.id,
            environment_id: link.environmentId,
            secret_id: link.secretId,
            updated_revision: link.updatedRevision,
            created_at: link.createdAt,
          })
          .execute(),
      )
    },

    async findLink(environmentId, secretId) {
      const row = await db
        .selectFrom('environment_links')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .where('secret_id', '=', secretId)
        .executeTakeFirst()
      return row && toLink(row)
    },

    async listLinks(environmentId) {
      const rows = await db
        .selectFrom('environment_links')
        .innerJoin('secrets', 'secrets.id', 'environment_links.secret_id')
        .select([
          'environment_links.id as link_id',
          'environment_links.environment_id',
          'environment_links.updated_revision',
          'environment_links.created_at as linked_at',
          'secrets.id',
          'secrets.owner_id',
          'secrets.name',
          'secrets.description',
          'secrets.is_file',
          'secrets.version',
          'secrets.hint',
          'secrets.created_at',
          'secrets.updated_at',
        ])
        .where('environment_links.environment_id', '=', environmentId)
        .orderBy('secrets.name')
        .execute()
      return rows.map((row) => ({
        id: row.link_id,
        environmentId: row.environment_id,
        secretId: row.id,
        updatedRevision: row.updated_revision,
        createdAt: row.linked_at,
        secret: toSecret(row),
      }))
    },

    async deleteLink(environmentId, secretId) {
      const result = await db
        .deleteFrom('environment_links')
        .where('environment_id', '=', environmentId)
        .where('secret_id', '=', secretId)
        .executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async updateLinkRevision(linkId, updatedRevision) {
      await db
        .updateTable('environment_links')
        .set({ updated_revision: updatedRevision })
        .where('id', '=', linkId)
        .execute()
    },

    async listLinksOfSecret(secretId) {
      const rows = await db
        .selectFrom('environment_links')
        .innerJoin('environments', 'environments.id', 'environment_links.environment_id')
        .innerJoin('owners', 'owners.id', 'environments.owner_id')
        .select([
          'environment_links.id as link_id',
          'environments.id as environment_id',
          'environments.name as environment_name',
          'owners.name as owner_name',
        ])
        .where('environment_links.secret_id', '=', secretId)
        .orderBy('owners.name')
        .orderBy('environments.name')
        .execute()
      return rows.map((row) => ({
        linkId: row.link_id,
        environmentId: row.environment_id,
        environmentName: row.environment_name,
        ownerName: row.owner_name,
      }))
    },

    async insertRuntimeToken(token) {
      await uniquely(traits, 'The token already exists', () =>
        db
          .insertInto('runtime_tokens')
          .values({
            id: token.id,
            environment_id: token.environmentId,
            name: token.name,
            token_hash: token.tokenHash,
            previous_token_hash: token.previousTokenHash,
            previous_expires_at: token.previousExpiresAt,
            created_at: token.createdAt,
            expires_at: token.expiresAt,
            last_used_at: token.lastUsedAt,
          })
          .execute(),
      )
    },

    async findRuntimeTokenByHash(tokenHash) {
      // Both columns are uniquely indexed; whether a previous hash is still in its grace
      // period is the caller's check (previousExpiresAt).
      const [row] = await hot.runtimeTokenByHash(db, tokenHash)
      if (row) return toRuntimeToken(row)
      const [rotated] = await hot.runtimeTokenByPreviousHash(db, tokenHash)
      return rotated && toRuntimeToken(rotated)
    },

    async findRuntimeToken(environmentId, id) {
      const row = await db
        .selectFrom('runtime_tokens')
        .selectAll()
        .where('id', '=', id)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst()
      return row && toRuntimeToken(row)
    },

    async listRuntimeTokens(environmentId) {
      const rows = await db
        .selectFrom('runtime_tokens')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute()
      return rows.map(toRuntimeToken)
    },

    async updateRuntimeToken(id, patch) {
      await uniquely(traits, 'The token already exists', () =>
        db
          .updateTable('runtime_tokens')
          .set({
            token_hash: patch.tokenHash,
            previous_token_hash: patch.previousTokenHash,
            previous_expires_at: patch.previousExpiresAt,
          })
          .where('id', '=', id)
          .execute(),
      )
    },

    async deleteRuntimeToken(environmentId, id) {
      const result = await db
        .deleteFrom('runtime_tokens')
        .where('id', '=', id)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async touchRuntimeToken(id, at) {
      await db
        .updateTable('runtime_tokens')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .execute()
    },

    async upsertConsumer(consumer) {
      await hot.upsertConsumer(
        db,
        consumer.environmentId,
        consumer.kind,
        consumer.consumerId,
        consumer.name,
        consumer.lastResolvedAt,
        consumer.lastResolvedRevision,
      )
    },

    async listConsumers(environmentId, since) {
      const rows = await db
        .selectFrom('environment_consumers')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .where('last_resolved_at', '>=', since)
        .orderBy('last_resolved_at', 'desc')
        .orderBy('kind')
        .orderBy('consumer_id')
        .execute()
      return rows.map(toConsumer)
    },

    async insertProviderConnection(connection) {
      await uniquely(traits, 'The provider connection already exists', () =>
        db
          .insertInto('provider_connections')
          .values({
            id: connection.id,
            owner_id: connection.ownerId,
            provider: connection.provider,
            label: connection.label,
            base_url: connection.baseUrl,
            version: connection.version,
            hint: connection.hint,
            last_test_ok: connection.lastTestOk === null ? null : TRUE_FALSE(connection.lastTestOk),
            last_tested_at: connection.lastTestedAt,
            created_at: connection.createdAt,
            updated_at: connection.updatedAt,
          })
          .execute(),
      )
    },

    async findProviderConnection(id) {
      const row = await db
        .selectFrom('provider_connections')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toProviderConnection(row)
    },

    async listProviderConnections(ownerId) {
      const rows = await db
        .selectFrom('provider_connections')
        .selectAll()
        .where('owner_id', '=', ownerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toProviderConnection)
    },

    async updateProviderConnection(id, patch) {
      const values: Updateable<ProviderConnectionsTable> = { updated_at: patch.updatedAt }
      if (patch.label !== undefined) values.label = patch.label
      if (patch.baseUrl !== undefined) values.base_url = patch.baseUrl
      if (patch.version !== undefined) values.version = patch.version
      if (patch.hint !== undefined) values.hint = patch.hint
      if (patch.lastTestOk !== undefined) {
        values.last_test_ok = patch.lastTestOk === null ? null : TRUE_FALSE(patch.lastTestOk)
      }
      if (patch.lastTestedAt !== undefined) values.last_tested_at = patch.lastTestedAt
      await db.updateTable('provider_connections').set(values).where('id', '=', id).execute()
    },

    async deleteProviderConnection(id) {
      // provider_key_versions go with it (CASCADE); environment_providers RESTRICT it: the
      // service names the environments first, this is the backstop.
      await unreferenced(
        traits,
        'The provider connection is still attached to an environment; detach it first',
        () => db.deleteFrom('provider_connections').where('id', '=', id).execute(),
      )
    },

    async insertProviderKeyVersion(version) {
      await uniquely(traits, 'This version of the key already exists', () =>
        db
          .insertInto('provider_key_versions')
          .values({
            connection_id: version.secretId,
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

    async findProviderKeyVersion(connectionId, version) {
      const row = await db
        .selectFrom('provider_key_versions')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .where('version', '=', version)
        .executeTakeFirst()
      return row && toProviderKeyVersion(row)
    },

    async listProviderKeyVersions(connectionId) {
      const rows = await db
        .selectFrom('provider_key_versions')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .orderBy('version', 'desc')
        .execute()
      return rows.map(toProviderKeyVersion)
    },

    async pruneProviderKeyVersions(connectionId, keep) {
      // As pruneSecretVersions: one statement, nothing deleted when there are few enough.
      await db
        .deleteFrom('provider_key_versions')
        .where('connection_id', '=', connectionId)
        .where('version', '<=', (eb) =>
          eb
            .selectFrom('provider_key_versions')
            .select('version')
            .where('connection_id', '=', connectionId)
            .orderBy('version', 'desc')
            .limit(1)
            .offset(Math.max(0, Math.trunc(keep))),
        )
        .execute()
    },

    async insertProviderAttachment(attachment) {
      let inserted: { id: string } | undefined
      try {
        // The same connection twice is told apart from a second connection of one provider:
        // the first conflict target is absorbed here, the other unique key still throws.
        inserted = await db
          .insertInto('environment_providers')
          .values({
            id: attachment.id,
            environment_id: attachment.environmentId,
            connection_id: attachment.connectionId,
            provider: attachment.provider,
            updated_revision: attachment.updatedRevision,
            created_at: attachment.createdAt,
          })
          .onConflict((oc) => oc.columns(['environment_id', 'connection_id']).doNothing())
          .returning('id')
          .executeTakeFirst()
      } catch (error) {
        if (!traits.isUniqueViolation(error)) throw error
        throw new CofferError(
          'provider_conflict',
          `The environment already has a connection to ${attachment.provider}; detach it first`,
          { cause: error },
        )
      }
      if (!inserted) {
        throw new CofferError(
          'name_conflict',
          'The provider connection is already attached to this environment',
        )
      }
    },

    async listProviderAttachments(environmentId) {
      const rows = await db
        .selectFrom('environment_providers')
        .innerJoin(
          'provider_connections',
          'provider_connections.id',
          'environment_providers.connection_id',
        )
        .select([
          'environment_providers.id as attachment_id',
          'environment_providers.environment_id',
          'environment_providers.updated_revision',
          'environment_providers.created_at as attached_at',
          'provider_connections.id',
          'provider_connections.owner_id',
          'provider_connections.provider',
          'provider_connections.label',
          'provider_connections.base_url',
          'provider_connections.version',
          'provider_connections.hint',
          'provider_connections.last_test_ok',
          'provider_connections.last_tested_at',
          'provider_connections.created_at',
          'provider_connections.updated_at',
        ])
        .where('environment_providers.environment_id', '=', environmentId)
        .orderBy('provider_connections.provider')
        .execute()
      return rows.map((row) => ({
        id: row.attachment_id,
        environmentId: row.environment_id,
        connectionId: row.id,
        provider: row.provider,
        updatedRevision: row.updated_revision,
        createdAt: row.attached_at,
        connection: toProviderConnection(row),
      }))
    },

    async deleteProviderAttachment(environmentId, connectionId) {
      const result = await db
        .deleteFrom('environment_providers')
        .where('environment_id', '=', environmentId)
        .where('connection_id', '=', connectionId)
        .executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async updateProviderAttachmentRevision(attachmentId, updatedRevision) {
      await db
        .updateTable('environment_providers')
        .set({ updated_revision: updatedRevision })
        .where('id', '=', attachmentId)
        .execute()
    },

    async listAttachmentsOfConnection(connectionId) {
      const rows = await db
        .selectFrom('environment_providers')
        .innerJoin('environments', 'environments.id', 'environment_providers.environment_id')
        .innerJoin('owners', 'owners.id', 'environments.owner_id')
        .select([
          'environment_providers.id as attachment_id',
          'environments.id as environment_id',
          'environments.name as environment_name',
          'owners.name as owner_name',
        ])
        .where('environment_providers.connection_id', '=', connectionId)
        .orderBy('owners.name')
        .orderBy('environments.name')
        .execute()
      return rows.map((row) => ({
        attachmentId: row.attachment_id,
        environmentId: row.environment_id,
        environmentName: row.environment_name,
        ownerName: row.owner_name,
      }))
    },
    watchRevisions: (listener) => bus.subscribe(listener),
  }
  return store
}
