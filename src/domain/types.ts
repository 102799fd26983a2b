// Pure: the plain data Coffer's core speaks in. Ids are opaque strings (`^c[a-z0-9]{24}$`);
// timestamps are ISO-8601 UTC strings, produced by the adapters' clock.

export type Role = 'admin' | 'member' | 'viewer'
export const ROLES: readonly Role[] = ['admin', 'member', 'viewer']

export type OwnerKind = 'user' | 'team'
export interface OwnerRef {
  readonly kind: OwnerKind
  readonly id: string
  readonly name: string
}

export interface User {
  readonly id: string
  readonly username: string
  readonly isAdmin: boolean
  readonly disabled: boolean
  readonly createdAt: string
  readonly updatedAt: string
}

export interface Team {
  readonly id: string
  readonly slug: string
  readonly name: string
  readonly createdAt: string
}

export interface Membership {
  readonly teamId: string
  readonly userId: string
  readonly username: string
  readonly role: Role
  readonly createdAt: string
}

/** Who is asking. Built by the HTTP adapter from a token; decided upon only by `authorize`. */
export type Actor =
  | {
      readonly kind: 'user'
      readonly userId: string
      readonly username: string
      readonly isInstanceAdmin: boolean
      /** teamId -> role, for every team the user belongs to. */
      readonly roles: ReadonlyMap<string, Role>
      /** The personal token or session presented, so logout can revoke exactly it. */
      readonly tokenId: string | null
    }
  | {
      readonly kind: 'runtime'
      readonly tokenId: string
      readonly name: string
      readonly environmentId: string
      readonly ownerId: string
    }
  | { readonly kind: 'anonymous' }

export type UserActor = Extract<Actor, { kind: 'user' }>

/** Who an audit event names: a user, or a token acting on its own. */
export interface AuditActor {
  readonly kind: 'user' | 'runtime' | 'anonymous'
  readonly id: string | null
  readonly name: string | null
}

export interface RequestContext {
  readonly requestId: string | null
  readonly ip: string | null
}

/** Where a resolved name comes from (SPEC.md §3.7 `sources`). */
export type EntrySource = 'variable' | 'linked' | 'direct' | 'provider'

/** One entry of an environment, as the resolver sees it: a name and where it comes from. No
 *  value: values stay sealed until the services layer opens the winners. */
export interface Entry {
  readonly name: string
  readonly source: EntrySource
  /** The entry's row id (direct secret, variable, link or provider attachment). */
  readonly id: string
}
