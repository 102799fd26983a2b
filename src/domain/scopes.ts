// Pure: the one place access is decided. authorize(actor, action, resource) denies unless a rule
// grants; the services call it before they touch anything (SPEC.md §2 "Authorization").
import { CofferError, type ErrorCode } from './errors.js'
import type { Actor, OwnerRef, Role } from './types.js'

export type Action =
  | 'secret.read'
  | 'secret.write'
  | 'env.read'
  | 'env.write'
  | 'env.resolve'
  | 'env.watch'
  | 'team.read'
  | 'team.manage'
  | 'audit.read'
  | 'user.manage'
  | 'account.use'

export type Resource =
  | { readonly kind: 'owner'; readonly owner: OwnerRef }
  | { readonly kind: 'environment'; readonly owner: OwnerRef; readonly environmentId: string }
  | { readonly kind: 'instance' }
  | { readonly kind: 'account' }

type Grant = 'viewer' | 'member' | 'admin' | 'instance-admin' | 'any-user'
interface Rule {
  readonly needs: Grant
  /** Runtime tokens may do this, and only on their own environment. */
  readonly runtime?: boolean
}

const RULES: Record<Action, Rule> = {
  'secret.read': { needs: 'viewer' },
  'secret.write': { needs: 'member' },
  'env.read': { needs: 'viewer' },
  'env.write': { needs: 'member' },
  'env.resolve': { needs: 'member', runtime: true },
  'env.watch': { needs: 'viewer', runtime: true },
  'team.read': { needs: 'viewer' },
  'team.manage': { needs: 'admin' },
  'audit.read': { needs: 'admin' },
  'user.manage': { needs: 'instance-admin' },
  'account.use': { needs: 'any-user' },
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 }

export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'unauthenticated' | 'invisible' | 'insufficient' }

export function authorize(actor: Actor, action: Action, resource: Resource): Decision {
  if (actor.kind === 'anonymous') return { allowed: false, reason: 'unauthenticated' }
  const rule = RULES[action]
  if (actor.kind === 'runtime') {
    const ownEnvironment =
      resource.kind === 'environment' && resource.environmentId === actor.environmentId
    if (ownEnvironment)
      return rule.runtime ? { allowed: true } : { allowed: false, reason: 'insufficient' }
    // Security: other environments, even of the same owner, are invisible to a runtime token;
    // its own owner's other resources exist but are off limits.
    const ownOwner = resource.kind === 'owner' && resource.owner.id === actor.ownerId
    return { allowed: false, reason: ownOwner ? 'insufficient' : 'invisible' }
  }
  switch (rule.needs) {
    case 'any-user':
      return { allowed: true }
    case 'instance-admin':
      return actor.isInstanceAdmin ? { allowed: true } : { allowed: false, reason: 'insufficient' }
    default: {
      if (resource.kind !== 'owner' && resource.kind !== 'environment') {
        return { allowed: false, reason: 'invisible' }
      }
      const role = roleOn(actor, resource.owner)
      if (!role) return { allowed: false, reason: 'invisible' }
      return RANK[role] >= RANK[rule.needs]
        ? { allowed: true }
        : { allowed: false, reason: 'insufficient' }
    }
  }
}

/** The actor's role on an owner: a user is the admin of their own personal scope. */
export function roleOn(actor: Actor, owner: OwnerRef): Role | null {
  if (actor.kind !== 'user') return null
  if (owner.kind === 'user') return owner.id === actor.userId ? 'admin' : null
  return actor.roles.get(owner.id) ?? null
}

export interface Denials {
  /** The code for an invisible resource: `not_found` unless the caller names a better one. */
  readonly notFound?: ErrorCode
  readonly what?: string
  /** The request field that named the resource, for the error's `param`. */
  readonly param?: string
}

/** authorize, throwing SPEC.md's answer: 401, 404 where existence would leak, else 403. */
export function assertAllowed(
  actor: Actor,
  action: Action,
  resource: Resource,
  denials: Denials = {},
): void {
  const decision = authorize(actor, action, resource)
  if (decision.allowed) return
  const what = denials.what ?? 'resource'
  switch (decision.reason) {
    case 'unauthenticated':
      throw new CofferError(
        'unauthenticated',
        'Authentication required: log in with `coffer login` or send a token',
      )
    case 'invisible':
      throw new CofferError(denials.notFound ?? 'not_found', `The ${what} was not found`, {
        param: denials.param ?? '',
      })
    case 'insufficient':
      throw new CofferError('forbidden', forbiddenDetails(actor, action, what))
  }
}

function forbiddenDetails(actor: Actor, action: Action, what: string): string {
  if (actor.kind === 'runtime')
    return 'A runtime token can only resolve and watch its own environment'
  const needs = RULES[action].needs
  if (needs === 'instance-admin') return 'Only an instance admin can do this'
  return `Your role does not allow this on the ${what}: it needs the ${needs} role`
}
