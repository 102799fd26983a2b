// Runtime tokens (SPEC.md §1 "Runtime tokens and sync", §3.6): one environment each, able to
// resolve it and watch its revision, nothing else. The string (`cft_…`) is shown once; only its
// SHA-256 is stored. Managing them needs env.write (member+); listing needs env.read (viewers
// too: names and dates are metadata, the strings are never shown again).
import { hashToken, issueToken, sameHash } from '../crypto/tokens.js'
import { CofferError } from '../domain/errors.js'
import type { Actor, RequestContext } from '../domain/types.js'
import type { RuntimeTokenRecord, Store } from '../store/store.js'
import { recordAudit } from './audit.js'
import type { ServiceDeps } from './deps.js'
import type { EnvironmentPath } from './entries.js'
import { environmentRef, type EnvironmentService, type VisibleEnvironment } from './environments.js'

/** lastUsedAt is written at most this often per token, as for personal tokens. */
const TOUCH_EVERY_MS = 60 * 1000
const TOKEN_NAME_MAX = 100
export const MAX_GRACE_SECONDS = 86_400
/** Ten years: long enough for any deployment, short enough to stay a valid date. */
export const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 24 * 60 * 60
const OWNER_CACHE_MAX = 10_000

export interface RuntimeTokenView {
  readonly id: string
  readonly name: string
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly lastUsedAt: string | null
  /** The revision its last resolve saw; null until it resolves. */
  readonly lastResolvedRevision: number | null
}

export type RuntimeActor = Extract<Actor, { kind: 'runtime' }>

const EPOCH = '1970-01-01T00:00:00.000Z'

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

export function createRuntimeTokenService(deps: ServiceDeps, environments: EnvironmentService) {
  const { store } = deps
  /** environment id -> owner id. Environments never change owner and ids are never reused, so
   *  this cache cannot go wrong; it saves a query on every runtime request. */
  const ownerOfEnvironment = new Map<string, string>()

  async function lastResolved(tx: Store, environmentId: string): Promise<Map<string, number>> {
    const consumers = await tx.listConsumers(environmentId, EPOCH)
    return new Map(
      consumers
        .filter((consumer) => consumer.kind === 'runtime')
        .map((consumer) => [consumer.consumerId, consumer.lastResolvedRevision]),
    )
  }

  const view = (token: RuntimeTokenRecord, resolved: number | null): RuntimeTokenView => ({
    id: token.id,
    name: token.name,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    lastResolvedRevision: resolved,
  })

  async function writable(
    tx: Store,
    actor: Actor,
    path: EnvironmentPath,
  ): Promise<VisibleEnvironment> {
    const visible = await environments.visible(actor, path.owner, path.env, 'env.write', tx)
    await tx.lockOwner(visible.owner.id)
    return visible
  }

  async function audit(
    tx: Store,
    visible: VisibleEnvironment,
    actor: Actor,
    action: string,
    token: Pick<RuntimeTokenRecord, 'id' | 'name'>,
    context: RequestContext,
    extra: Record<string, number> = {},
  ): Promise<void> {
    const { environment, owner } = visible
    // Security: the token's id and name only, never its string or hash.
    await recordAudit(deps, tx, {
      owner,
      actor,
      action,
      target: {
        environmentId: environment.id,
        environment: environmentRef(owner.name, environment.name),
        tokenId: token.id,
        tokenName: token.name,
        ...extra,
      },
      context,
      environmentId: environment.id,
    })
  }

  async function existing(
    tx: Store,
    environmentId: string,
    id: string,
  ): Promise<RuntimeTokenRecord> {
    const token = await tx.findRuntimeToken(environmentId, id)
    if (!token) {
      throw new CofferError('not_found', 'This environment has no runtime token with that id', {
        param: 'path.id',
      })
    }
    return token
  }

  return {
    /** The runtime actor behind a `cft_` string, or 401 (unknown, expired, revoked, or an old
     *  string whose grace period ended). */
    async authenticate(tokenString: string): Promise<RuntimeActor> {
      const unauthenticated = () =>
        new CofferError(
          'unauthenticated',
          'The runtime token is unknown, expired or revoked; ask for a new one (coffer env token create)',
        )
      if (!tokenString.startsWith('cft_')) throw unauthenticated()
      const tokenHash = hashToken(tokenString)
      const record = await store.findRuntimeTokenByHash(tokenHash)
      if (!record) throw unauthenticated()
      const now = deps.now()
      const current = sameHash(record.tokenHash, tokenHash)
      const inGrace =
        !current &&
        record.previousTokenHash !== null &&
        sameHash(record.previousTokenHash, tokenHash) &&
        record.previousExpiresAt !== null &&
        Date.parse(record.previousExpiresAt) > now.getTime()
      if (!current && !inGrace) throw unauthenticated()
      if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime())
        throw unauthenticated()
      let ownerId = ownerOfEnvironment.get(record.environmentId)
      if (ownerId === undefined) {
        const environment = await store.findEnvironmentById(record.environmentId)
        if (!environment) throw unauthenticated()
        ownerId = environment.ownerId
        if (ownerOfEnvironment.size >= OWNER_CACHE_MAX) ownerOfEnvironment.clear()
        ownerOfEnvironment.set(record.environmentId, ownerId)
      }
      if (
        record.lastUsedAt === null ||
        now.getTime() - Date.parse(record.lastUsedAt) > TOUCH_EVERY_MS
      ) {
        await store.touchRuntimeToken(record.id, now.toISOString())
      }
      return {
        kind: 'runtime',
        tokenId: record.id,
        name: record.name,
        environmentId: record.environmentId,
        ownerId,
      }
    },

    async list(actor: Actor, path: EnvironmentPath): Promise<RuntimeTokenView[]> {
      const { environment } = await environments.visible(actor, path.owner, path.env, 'env.read')
      const resolved = await lastResolved(store, environment.id)
      return (await store.listRuntimeTokens(environment.id)).map((token) =>
        view(token, resolved.get(token.id) ?? null),
      )
    },

    async create(
      actor: Actor,
      path: EnvironmentPath,
      input: { name: string; expiresInSeconds?: number | undefined },
      context: RequestContext,
    ): Promise<RuntimeTokenView & { token: string }> {
      const name = parseTokenName(input.name)
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const now = deps.now()
        const issued = issueToken('cft_')
        const record: RuntimeTokenRecord = {
          id: deps.newId(),
          environmentId: visible.environment.id,
          name,
          tokenHash: issued.hash,
          previousTokenHash: null,
          previousExpiresAt: null,
          createdAt: now.toISOString(),
          expiresAt:
            input.expiresInSeconds === undefined
              ? null
              : new Date(now.getTime() + input.expiresInSeconds * 1000).toISOString(),
          lastUsedAt: null,
        }
        await tx.insertRuntimeToken(record)
        await audit(tx, visible, actor, 'env.token.create', record, context)
        // Security: SPEC.md §1 — the string leaves the server here, once.
        return { ...view(record, null), token: issued.token }
      })
    },

    /** A new string for the same token; the old one stops now, or after `graceSeconds`. */
    async rotate(
      actor: Actor,
      path: EnvironmentPath,
      id: string,
      input: { graceSeconds?: number | undefined },
      context: RequestContext,
    ): Promise<RuntimeTokenView & { token: string }> {
      const grace = input.graceSeconds ?? 0
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const token = await existing(tx, visible.environment.id, id)
        const issued = issueToken('cft_')
        const previousExpiresAt =
          grace > 0 ? new Date(deps.now().getTime() + grace * 1000).toISOString() : null
        await tx.updateRuntimeToken(id, {
          tokenHash: issued.hash,
          previousTokenHash: grace > 0 ? token.tokenHash : null,
          previousExpiresAt,
        })
        await audit(tx, visible, actor, 'env.token.rotate', token, context, {
          graceSeconds: grace,
        })
        // `tx`, not `store`: SQLite has one connection, held by this transaction.
        const resolved = (await lastResolved(tx, visible.environment.id)).get(id) ?? null
        // Security: SPEC.md §1 — the new string leaves the server here, once.
        return { ...view(token, resolved), token: issued.token }
      })
    },

    async delete(
      actor: Actor,
      path: EnvironmentPath,
      id: string,
      context: RequestContext,
    ): Promise<void> {
      await store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const token = await existing(tx, visible.environment.id, id)
        await tx.deleteRuntimeToken(visible.environment.id, id)
        await audit(tx, visible, actor, 'env.token.delete', token, context)
      })
    },
  }
}

export type RuntimeTokenService = ReturnType<typeof createRuntimeTokenService>
