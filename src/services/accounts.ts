// Users, logins, personal tokens and sessions: who an actor is, and how they prove it.
import {
  decoyPasswordHash,
  generatePassword,
  hashPassword,
  verifyPassword,
} from '../crypto/passwords.js'
import { csrfTokenFor, hashToken, issueToken, sameHash, sameString } from '../crypto/tokens.js'
import { CofferError } from '../domain/errors.js'
import { parseOwnerName } from '../domain/names.js'
import { assertAllowed } from '../domain/scopes.js'
import type { Actor, OwnerRef, RequestContext, Role, User, UserActor } from '../domain/types.js'
import type {
  PersonalTokenKind,
  PersonalTokenRecord,
  Store,
  TeamWithRole,
  UserRecord,
} from '../store/store.js'
import { recordAudit } from './audit.js'
import { isoNow, type ServiceDeps } from './deps.js'

export const BOOTSTRAP_ADMIN = 'admin'
const THROTTLE_FAILURES = 10
const THROTTLE_WINDOW_MS = 15 * 60 * 1000
const SESSION_TTL_MS = 12 * 60 * 60 * 1000
/** lastUsedAt is written at most this often per token, so reads do not become writes. */
const TOUCH_EVERY_MS = 60 * 1000
const PASSWORD_MIN = 8
const PASSWORD_MAX = 1024
const TOKEN_NAME_MAX = 100

export interface TokenView {
  readonly id: string
  readonly name: string
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly lastUsedAt: string | null
}

export interface MeView {
  readonly user: UserView
  readonly teams: { id: string; slug: string; name: string; createdAt: string; role: Role }[]
}

export interface UserView {
  readonly id: string
  readonly username: string
  readonly isAdmin: boolean
  readonly disabled: boolean
  readonly createdAt: string
}

const userView = (user: User): UserView => ({
  id: user.id,
  username: user.username,
  isAdmin: user.isAdmin,
  disabled: user.disabled,
  createdAt: user.createdAt,
})

const tokenView = (token: PersonalTokenRecord): TokenView => ({
  id: token.id,
  name: token.name,
  createdAt: token.createdAt,
  expiresAt: token.expiresAt,
  lastUsedAt: token.lastUsedAt,
})

const userOwner = (user: Pick<User, 'id' | 'username'>): OwnerRef => ({
  kind: 'user',
  id: user.id,
  name: user.username,
})

export function createAccountService(deps: ServiceDeps) {
  const { store } = deps
  let decoyHash: Promise<string> | undefined

  function parsePassword(password: string): string {
    if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
      throw new CofferError(
        'invalid',
        `A password needs ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
        { param: 'body.password' },
      )
    }
    return password
  }

  function parseTokenName(name: string): string {
    const trimmed = name.trim()
    if (trimmed.length === 0 || trimmed.length > TOKEN_NAME_MAX || /\p{Cc}/u.test(trimmed)) {
      throw new CofferError(
        'invalid',
        `A token name needs 1 to ${TOKEN_NAME_MAX} printable characters`,
        { param: 'body.name' },
      )
    }
    return trimmed
  }

  async function insertUser(
    actor: Actor | null,
    input: { username: string; password: string; isAdmin: boolean },
    context: RequestContext,
  ): Promise<UserView> {
    const username = parseOwnerName(input.username, 'body.username')
    const passwordHash = await hashPassword(parsePassword(input.password))
    const now = isoNow(deps)
    const user: UserRecord = {
      id: deps.newId(),
      username,
      passwordHash,
      isAdmin: input.isAdmin,
      disabled: false,
      createdAt: now,
      updatedAt: now,
    }
    await store.transaction(async (tx) => {
      await tx
        .insertUser(user)
        .catch(
          renameConflict(
            `The name ${username} is already taken by a user or team`,
            'body.username',
          ),
        )
      await deps.dataKeys.create(tx, user.id, now)
      await recordAudit(deps, tx, {
        owner: userOwner(user),
        actor: actor ?? { kind: 'anonymous', id: null, name: 'bootstrap' },
        action: 'user.create',
        target: { userId: user.id, username, isAdmin: input.isAdmin },
        context,
      })
    })
    return userView(user)
  }

  /** Inserts the token inside the caller's transaction, so it exists only with its audit event. */
  async function issuePersonalToken(
    tx: Store,
    user: UserRecord,
    kind: PersonalTokenKind,
    name: string,
    expiresAt: string | null,
  ): Promise<{ token: string; record: PersonalTokenRecord }> {
    const issued = issueToken('cfp_')
    const record: PersonalTokenRecord = {
      id: deps.newId(),
      userId: user.id,
      name,
      kind,
      tokenHash: issued.hash,
      createdAt: isoNow(deps),
      expiresAt,
      lastUsedAt: null,
    }
    await tx.insertPersonalToken(record)
    return { token: issued.token, record }
  }

  /** Serializes changes of instance-admin status, so two admins stepping down at once cannot
   *  both count the other and leave none (SPEC.md §1). The bootstrap admin's owner row is the
   *  lock: it always exists (users are never deleted or renamed), and the Store has no
   *  instance-wide lock. Taken first in the transaction, before any other owner's row. */
  async function lockInstanceAdmins(tx: Store): Promise<void> {
    const bootstrapAdmin = await tx.findUserByName(BOOTSTRAP_ADMIN)
    if (bootstrapAdmin) await tx.lockOwner(bootstrapAdmin.id)
  }

  async function actorFor(user: UserRecord, tokenId: string): Promise<UserActor> {
    const teams: TeamWithRole[] = await store.listTeamsOfUser(user.id)
    return {
      kind: 'user',
      userId: user.id,
      username: user.username,
      isInstanceAdmin: user.isAdmin,
      roles: new Map(teams.map((team) => [team.id, team.role])),
      tokenId,
    }
  }

  return {
    /** At start with no users: creates `admin`; returns the generated password when none was given. */
    async bootstrap(
      password: string | undefined,
    ): Promise<{ created: boolean; generatedPassword?: string }> {
      if ((await store.countUsers()) > 0) return { created: false }
      const chosen = password ?? generatePassword()
      try {
        await insertUser(
          null,
          { username: BOOTSTRAP_ADMIN, password: chosen, isAdmin: true },
          { requestId: null, ip: null },
        )
      } catch (error) {
        // Another replica bootstrapped first: that is fine.
        if (error instanceof CofferError && error.code === 'name_conflict')
          return { created: false }
        throw error
      }
      return password === undefined
        ? { created: true, generatedPassword: chosen }
        : { created: true }
    },

    async login(
      input: {
        username: string
        password: string
        tokenName?: string | undefined
        session?: boolean | undefined
      },
      context: RequestContext,
    ): Promise<{ token: string; user: UserView; expiresAt: string | null }> {
      const throttleKey = `${input.username.toLowerCase()}|${context.ip ?? ''}`
      const now = deps.now()
      const user = await store.findUserByName(input.username)
      // Security: the attempt is counted before the (slow) password check, atomically, so
      // guesses sent in parallel cannot all pass a check that read the counter before any of
      // them failed. A correct password clears the count below.
      const throttled = await store.transaction(async (tx) => {
        if (user) await tx.lockOwner(user.id)
        const throttle = await tx.findLoginThrottle(throttleKey)
        const windowOpen =
          throttle && now.getTime() - Date.parse(throttle.windowStart) < THROTTLE_WINDOW_MS
        if (windowOpen && throttle.failures >= THROTTLE_FAILURES) return true
        await tx.saveLoginThrottle({
          key: throttleKey,
          windowStart: windowOpen ? throttle.windowStart : now.toISOString(),
          failures: windowOpen ? throttle.failures + 1 : 1,
        })
        return false
      })
      if (throttled) {
        throw new CofferError(
          'rate_limited',
          'Too many failed logins for this user from this address; wait 15 minutes and try again',
        )
      }
      // Security: verify against a decoy when the user is unknown so timing does not reveal it.
      decoyHash ??= decoyPasswordHash()
      const valid = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash))
      if (!user || !valid || user.disabled) {
        if (user) {
          await store.transaction((tx) =>
            recordAudit(deps, tx, {
              owner: userOwner(user),
              actor: { kind: 'anonymous', id: null, name: null },
              action: 'auth.login',
              target: { username: user.username },
              context,
              outcome: 'failure',
            }),
          )
        }
        throw new CofferError(
          'unauthenticated',
          user?.disabled && valid
            ? 'This account is disabled; ask an instance admin'
            : 'Wrong username or password',
        )
      }
      await store.deleteLoginThrottle(throttleKey)
      const kind: PersonalTokenKind = input.session ? 'session' : 'token'
      const expiresAt = input.session
        ? new Date(now.getTime() + SESSION_TTL_MS).toISOString()
        : null
      const name = input.session ? 'web session' : parseTokenName(input.tokenName ?? 'login')
      const token = await store.transaction(async (tx) => {
        const issued = await issuePersonalToken(tx, user, kind, name, expiresAt)
        await recordAudit(deps, tx, {
          owner: userOwner(user),
          actor: { kind: 'user', id: user.id, name: user.username },
          action: 'auth.login',
          target: { tokenId: issued.record.id, tokenName: name, kind },
          context,
        })
        return issued.token
      })
      return { token, user: userView(user), expiresAt }
    },

    async logout(actor: Actor, context: RequestContext): Promise<void> {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      if (actor.kind !== 'user' || actor.tokenId === null) return
      const tokenId = actor.tokenId
      await store.transaction(async (tx) => {
        await tx.deletePersonalToken(actor.userId, tokenId)
        await recordAudit(deps, tx, {
          owner: { kind: 'user', id: actor.userId, name: actor.username },
          actor,
          action: 'auth.logout',
          target: { tokenId },
          context,
        })
      })
    },

    /** The actor behind a bearer token or session, or 401. `kind` limits which tokens count. */
    async authenticate(token: string, accept: PersonalTokenKind): Promise<UserActor> {
      const unauthenticated = () =>
        new CofferError(
          'unauthenticated',
          'The token is unknown, expired or revoked; log in again with `coffer login`',
        )
      if (!token.startsWith('cfp_')) throw unauthenticated()
      const tokenHash = hashToken(token)
      const record = await store.findPersonalTokenByHash(tokenHash)
      if (record?.kind !== accept || !sameHash(record.tokenHash, tokenHash)) throw unauthenticated()
      const now = deps.now()
      if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime())
        throw unauthenticated()
      const user = await store.findUserById(record.userId)
      if (!user || user.disabled) throw unauthenticated()
      if (
        record.lastUsedAt === null ||
        now.getTime() - Date.parse(record.lastUsedAt) > TOUCH_EVERY_MS
      ) {
        await store.touchPersonalToken(record.id, now.toISOString())
      }
      return actorFor(user, record.id)
    },

    /** The CSRF token the web UI must echo on mutations made with this session. */
    csrfTokenFor(sessionToken: string): string {
      return csrfTokenFor(sessionToken)
    },

    /** Security: constant-time check of a mutation's X-CSRF-Token against its session. */
    checkCsrf(sessionToken: string, sent: string): void {
      if (!sameString(sent, csrfTokenFor(sessionToken))) {
        throw new CofferError(
          'forbidden',
          'Missing or wrong X-CSRF-Token header for a session request',
          { param: 'header.x-csrf-token' },
        )
      }
    },

    async me(actor: Actor): Promise<MeView> {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      if (actor.kind !== 'user') throw new CofferError('forbidden', 'A runtime token has no user')
      const user = await store.findUserById(actor.userId)
      if (!user) throw new CofferError('unauthenticated', 'The user no longer exists')
      const teams = await store.listTeamsOfUser(user.id)
      return {
        user: userView(user),
        teams: teams.map((t) => ({
          id: t.id,
          slug: t.slug,
          name: t.name,
          createdAt: t.createdAt,
          role: t.role,
        })),
      }
    },

    async listTokens(actor: Actor): Promise<TokenView[]> {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      if (actor.kind !== 'user') return []
      return (await store.listPersonalTokens(actor.userId)).map(tokenView)
    },

    async createToken(
      actor: Actor,
      input: { name: string; expiresAt?: string | undefined },
      context: RequestContext,
    ): Promise<TokenView & { token: string }> {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      if (actor.kind !== 'user')
        throw new CofferError('forbidden', 'A runtime token cannot create personal tokens')
      const name = parseTokenName(input.name)
      let expiresAt: string | null = null
      if (input.expiresAt !== undefined) {
        const at = Date.parse(input.expiresAt)
        if (Number.isNaN(at) || at <= deps.now().getTime()) {
          throw new CofferError('invalid', 'expiresAt must be an ISO-8601 time in the future', {
            param: 'body.expiresAt',
          })
        }
        expiresAt = new Date(at).toISOString()
      }
      const user = await store.findUserById(actor.userId)
      if (!user) throw new CofferError('unauthenticated', 'The user no longer exists')
      const { token, record } = await store.transaction(async (tx) => {
        const issued = await issuePersonalToken(tx, user, 'token', name, expiresAt)
        await recordAudit(deps, tx, {
          owner: userOwner(user),
          actor,
          action: 'token.create',
          target: { tokenId: issued.record.id, tokenName: name },
          context,
        })
        return issued
      })
      return { ...tokenView(record), token }
    },

    async deleteToken(actor: Actor, tokenId: string, context: RequestContext): Promise<void> {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      if (actor.kind !== 'user')
        throw new CofferError('forbidden', 'A runtime token cannot manage personal tokens')
      await store.transaction(async (tx) => {
        if (!(await tx.deletePersonalToken(actor.userId, tokenId))) {
          throw new CofferError('not_found', 'You have no token with that id', { param: 'path.id' })
        }
        await recordAudit(deps, tx, {
          owner: { kind: 'user', id: actor.userId, name: actor.username },
          actor,
          action: 'token.delete',
          target: { tokenId },
          context,
        })
      })
    },

    async createUser(
      actor: Actor,
      input: { username: string; password: string; isAdmin?: boolean | undefined },
      context: RequestContext,
    ): Promise<UserView> {
      assertAllowed(actor, 'user.manage', { kind: 'instance' })
      return insertUser(
        actor,
        { username: input.username, password: input.password, isAdmin: input.isAdmin ?? false },
        context,
      )
    },

    async updateUser(
      actor: Actor,
      username: string,
      patch: { disabled?: boolean | undefined; isAdmin?: boolean | undefined },
      context: RequestContext,
    ): Promise<UserView> {
      assertAllowed(actor, 'user.manage', { kind: 'instance' })
      return store.transaction(async (tx) => {
        await lockInstanceAdmins(tx)
        const user = await tx.findUserByName(username)
        if (!user)
          throw new CofferError('not_found', `No user named ${username}`, {
            param: 'path.username',
          })
        await tx.lockOwner(user.id)
        const losesAdmin =
          user.isAdmin && !user.disabled && (patch.disabled === true || patch.isAdmin === false)
        if (losesAdmin && (await tx.countActiveInstanceAdmins()) <= 1) {
          throw new CofferError(
            'last_admin',
            `${username} is the last active instance admin; promote another user first`,
          )
        }
        const updatedAt = isoNow(deps)
        await tx.updateUser(user.id, {
          ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          ...(patch.isAdmin !== undefined ? { isAdmin: patch.isAdmin } : {}),
          updatedAt,
        })
        await recordAudit(deps, tx, {
          owner: userOwner(user),
          actor,
          action: 'user.update',
          target: {
            userId: user.id,
            username,
            ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
            ...(patch.isAdmin !== undefined ? { isAdmin: patch.isAdmin } : {}),
          },
          context,
        })
        return userView({
          ...user,
          disabled: patch.disabled ?? user.disabled,
          isAdmin: patch.isAdmin ?? user.isAdmin,
          updatedAt,
        })
      })
    },
  }
}

/** A store `name_conflict` carries generic words; this gives it the use case's. */
export function renameConflict(details: string, param: string) {
  return (error: unknown): never => {
    if (error instanceof CofferError && error.code === 'name_conflict') {
      throw new CofferError('name_conflict', details, { param, cause: error })
    }
    throw error
  }
}

export type AccountService = ReturnType<typeof createAccountService>
