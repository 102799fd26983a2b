// Appends hash-chained audit events and lists them for the owners an actor administers.
import { sha256Hex } from '../crypto/digest.js'
import {
  GENESIS_HASH,
  chainHash,
  type AuditBody,
  type AuditEvent,
  type AuditOutcome,
  type AuditTarget,
} from '../domain/audit.js'
import { CofferError } from '../domain/errors.js'
import { assertAllowed, roleOn } from '../domain/scopes.js'
import type { Actor, AuditActor, OwnerRef, RequestContext } from '../domain/types.js'
import type { Store } from '../store/store.js'
import { isoNow, type ServiceDeps } from './deps.js'

export interface AuditInput {
  readonly owner: OwnerRef
  readonly actor: Actor | AuditActor
  readonly action: string
  readonly target: AuditTarget
  readonly context: RequestContext
  readonly outcome?: AuditOutcome
  readonly environmentId?: string
}

export function auditActorOf(actor: Actor | AuditActor): AuditActor {
  if ('id' in actor) return actor
  switch (actor.kind) {
    case 'user':
      return { kind: 'user', id: actor.userId, name: actor.username }
    case 'runtime':
      return { kind: 'runtime', id: actor.tokenId, name: actor.name }
    case 'anonymous':
      return { kind: 'anonymous', id: null, name: null }
  }
}

/** Appends one event to the owner's chain, inside the caller's transaction. */
export async function recordAudit(deps: ServiceDeps, tx: Store, input: AuditInput): Promise<void> {
  // Security: the lock keeps two writers from both extending the same head (a forked chain).
  await tx.lockOwner(input.owner.id)
  const head = await tx.findAuditHead(input.owner.id)
  const body: AuditBody = {
    id: deps.newId(),
    seq: (head?.seq ?? 0) + 1,
    at: isoNow(deps),
    owner: input.owner.name,
    actor: auditActorOf(input.actor),
    action: input.action,
    target: input.target,
    ip: input.context.ip,
    requestId: input.context.requestId,
    outcome: input.outcome ?? 'success',
  }
  const hash = chainHash(head?.hash ?? GENESIS_HASH, body, sha256Hex)
  await tx.insertAuditEvent({
    id: body.id,
    ownerId: input.owner.id,
    seq: body.seq,
    at: body.at,
    body: JSON.stringify(body),
    action: body.action,
    environmentId: input.environmentId ?? null,
    hash,
  })
}

export interface AuditQuery {
  readonly owner?: string
  readonly action?: string
  readonly since?: string
  readonly environmentId?: string
  readonly limit: number
  readonly cursor?: string
}

export function createAuditService(deps: ServiceDeps) {
  const { store } = deps
  return {
    /** Events of one owner, or of every owner the actor administers (newest first). */
    async list(
      actor: Actor,
      query: AuditQuery,
    ): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
      const ownerIds = await administeredOwners(store, actor, query.owner)
      const before = query.cursor ? decodeCursor(query.cursor) : undefined
      const rows = await store.listAuditEvents({
        ownerIds,
        ...(query.action ? { action: query.action } : {}),
        ...(query.since ? { since: query.since } : {}),
        ...(query.environmentId ? { environmentId: query.environmentId } : {}),
        ...(before ? { before } : {}),
        limit: query.limit + 1,
      })
      const page = rows.slice(0, query.limit)
      const last = page.at(-1)
      const nextCursor = rows.length > query.limit && last ? encodeCursor(last.at, last.id) : null
      return {
        items: page.map((row) => ({ ...(JSON.parse(row.body) as AuditBody), hash: row.hash })),
        nextCursor,
      }
    },
  }
}

async function administeredOwners(
  store: Store,
  actor: Actor,
  ownerName: string | undefined,
): Promise<string[]> {
  if (ownerName !== undefined) {
    const owner = await store.findOwnerByName(ownerName)
    const ref: OwnerRef = owner ?? { kind: 'team', id: '', name: ownerName }
    assertAllowed(
      actor,
      'audit.read',
      { kind: 'owner', owner: ref },
      { what: `owner ${ownerName}` },
    )
    return [ref.id]
  }
  assertAllowed(actor, 'account.use', { kind: 'account' })
  if (actor.kind !== 'user') return []
  const ids = [actor.userId]
  for (const team of await store.listTeamsOfUser(actor.userId)) {
    if (roleOn(actor, { kind: 'team', id: team.id, name: team.slug }) === 'admin') ids.push(team.id)
  }
  return ids
}

const encodeCursor = (at: string, id: string): string =>
  Buffer.from(`${at}|${id}`).toString('base64url')

function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  if (!at || !id || Number.isNaN(Date.parse(at))) {
    throw new CofferError('bad_request', 'The cursor is not one this server issued', {
      param: 'query.cursor',
    })
  }
  return { at, id }
}

export type AuditService = ReturnType<typeof createAuditService>
