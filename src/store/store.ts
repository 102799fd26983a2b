// The Store interface, in domain words. kysely-store.ts implements it once for SQLite and
// PostgreSQL; services see only this type. Every method may throw CofferError: a unique-key
// violation surfaces as `name_conflict` (the caller words the details), anything else as-is.
import type { ProviderName } from '../domain/providers.js'
import type { EntrySource, OwnerRef, Role, Team, User } from '../domain/types.js'

export type Engine = 'sqlite' | 'postgres'

export interface UserRecord extends User {
  /** scrypt hash in the form written by crypto/passwords.ts. */
  readonly passwordHash: string
}

export interface TeamWithRole extends Team {
  readonly role: Role
}

export interface MemberRecord {
  readonly teamId: string
  readonly userId: string
  readonly username: string
  readonly role: Role
  readonly createdAt: string
}

export interface OwnerKeyRecord {
  readonly ownerId: string
  readonly masterKeyId: string
  /** iv | tag | ciphertext of the owner's 256-bit data key, sealed by the master key. */
  readonly wrappedKey: Buffer
  readonly createdAt: string
  readonly updatedAt: string
}

export type PersonalTokenKind = 'token' | 'session'

export interface PersonalTokenRecord {
  readonly id: string
  readonly userId: string
  readonly name: string
  readonly kind: PersonalTokenKind
  /** hex SHA-256 of the token string; the string itself is never stored. */
  readonly tokenHash: string
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly lastUsedAt: string | null
}

export interface LoginThrottleRecord {
  readonly key: string
  readonly windowStart: string
  readonly failures: number
}

export interface SecretRecord {
  readonly id: string
  readonly ownerId: string
  readonly name: string
  readonly description: string
  readonly isFile: boolean
  /** The current version: the newest row of secret_versions. */
  readonly version: number
  readonly hint: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface SecretPatch {
  readonly name?: string
  readonly description?: string
  readonly version?: number
  readonly hint?: string | null
  readonly updatedAt: string
}

export interface SecretVersionRecord {
  readonly secretId: string
  readonly version: number
  /** The secret's name when this version was written: part of the ciphertext's AAD. */
  readonly name: string
  /** iv | tag | ciphertext, sealed by the owner's data key with the row's AAD. */
  readonly ciphertext: Buffer
  readonly hint: string | null
  readonly createdAt: string
  /** The user id (or token id) that wrote it. */
  readonly createdBy: string | null
  readonly createdByName: string | null
}

export interface AuditRecord {
  readonly id: string
  readonly ownerId: string
  /** 1, 2, … per owner: the order of the hash chain. */
  readonly seq: number
  readonly at: string
  /** Canonical JSON of the whole event without `hash` (what `hash` covers), stored verbatim. */
  readonly body: string
  readonly action: string
  /** The environment the event concerns, if any, for filtering. */
  readonly environmentId: string | null
  readonly hash: string
}

export interface AuditFilter {
  readonly ownerIds: readonly string[]
  readonly action?: string
  readonly environmentId?: string
  /** ISO timestamp: events at or after it. */
  readonly since?: string
  /** Paging, newest first: events strictly before this (at, id). */
  readonly before?: { readonly at: string; readonly id: string }
  readonly limit: number
}

export interface Page {
  /** Exclusive lower bound of the sort key (names sort ascending). */
  readonly after?: string
  readonly limit: number
}

// ---- Environments (issue #4) ----

export interface EnvironmentRecord {
  readonly id: string
  readonly ownerId: string
  readonly name: string
  readonly description: string
  /** Moves (by at least 1) in the same transaction as every change that can alter `resolve`. */
  readonly revision: number
  /** Stored requirements as JSON (`{"secrets":[{key, description?, optional}]}`), or null. */
  readonly requirements: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** One name taken in an environment, and by what: the conflict rules' single source of truth. */
export interface ClaimedName {
  readonly environmentId: string
  readonly name: string
  readonly kind: EntrySource
  /** The direct secret, variable, link or provider attachment holding the name. */
  readonly entryId: string
}

export interface DirectSecretRecord {
  readonly id: string
  readonly environmentId: string
  readonly name: string
  readonly description: string
  readonly version: number
  readonly hint: string | null
  /** JSON `{"length":32,"alphabet":"base64url"}` for generated secrets (rotate draws anew), else null. */
  readonly generator: string | null
  /** The environment revision at which this entry last changed (sync). */
  readonly updatedRevision: number
  readonly createdAt: string
  readonly updatedAt: string
}

export interface DirectSecretPatch {
  readonly name?: string
  readonly description?: string
  readonly version?: number
  readonly hint?: string | null
  readonly updatedRevision?: number
  readonly updatedAt: string
}

export interface VariableRecord {
  readonly id: string
  readonly environmentId: string
  readonly name: string
  /** Variables are configuration, stored in plain text (SPEC.md §1 "Values"). */
  readonly value: string
  readonly description: string
  readonly updatedRevision: number
  readonly createdAt: string
  readonly updatedAt: string
}

export interface VariablePatch {
  readonly name?: string
  readonly value?: string
  readonly description?: string
  readonly updatedRevision?: number
  readonly updatedAt: string
}

export interface LinkRecord {
  readonly id: string
  readonly environmentId: string
  /** The linked global secret (same owner as the environment). */
  readonly secretId: string
  readonly updatedRevision: number
  readonly createdAt: string
}

/** A link with its global secret, for listings and resolve. */
export interface LinkedSecretRecord extends LinkRecord {
  readonly secret: SecretRecord
}

/** Where a global secret is linked, for `GET /secrets/{id}/links` and `still_linked`. */
export interface SecretLinkPlace {
  readonly linkId: string
  readonly environmentId: string
  readonly environmentName: string
  readonly ownerName: string
}

export interface RuntimeTokenRecord {
  readonly id: string
  readonly environmentId: string
  readonly name: string
  readonly tokenHash: string
  /** After a rotate with grace: the old hash, valid until `previousExpiresAt`. */
  readonly previousTokenHash: string | null
  readonly previousExpiresAt: string | null
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly lastUsedAt: string | null
}

export interface ConsumerRecord {
  readonly environmentId: string
  readonly kind: 'user' | 'runtime'
  /** A user id or a runtime token id. */
  readonly consumerId: string
  readonly name: string
  readonly lastResolvedAt: string
  readonly lastResolvedRevision: number
}

// ---- AI provider connections (SPEC.md §1.5) ----

export interface ProviderConnectionRecord {
  readonly id: string
  readonly ownerId: string
  readonly provider: ProviderName
  readonly label: string
  /** `custom` only; the known providers' base URLs come from the server's configuration. */
  readonly baseUrl: string | null
  /** The current key version: the newest row of provider_key_versions. */
  readonly version: number
  readonly hint: string | null
  /** The last `test`: null until tested. */
  readonly lastTestOk: boolean | null
  readonly lastTestedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface ProviderConnectionPatch {
  readonly label?: string
  readonly baseUrl?: string | null
  readonly version?: number
  readonly hint?: string | null
  readonly lastTestOk?: boolean | null
  readonly lastTestedAt?: string | null
  readonly updatedAt: string
}

export interface ProviderAttachmentRecord {
  readonly id: string
  readonly environmentId: string
  readonly connectionId: string
  /** The connection's provider: at most one attachment per provider per environment. */
  readonly provider: ProviderName
  readonly updatedRevision: number
  readonly createdAt: string
}

/** An attachment with its connection, for listings and resolve. */
export interface AttachedProviderRecord extends ProviderAttachmentRecord {
  readonly connection: ProviderConnectionRecord
}

/** Where a connection is attached, for `still_linked` and key changes. */
export interface ProviderAttachmentPlace {
  readonly attachmentId: string
  readonly environmentId: string
  readonly environmentName: string
  readonly ownerName: string
}
/** A committed move of an environment's revision (long polls wait for these). */
export interface RevisionChange {
  readonly environmentId: string
  readonly revision: number
}

/** Called with each committed revision move; `null` when notifications may have been lost
 *  (a replica's LISTEN connection dropped): listeners then re-read what they wait for. */
export type RevisionListener = (change: RevisionChange | null) => void

export interface Store {
  readonly engine: Engine

  /** Runs `work` in one transaction; a throw rolls everything back. Nested calls join the outer one. */
  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T>
  /** Throws unless the database answers and every migration is applied. */
  checkReady(): Promise<void>
  close(): Promise<void>

  // Owners: users and teams share one name space (one `owners` table with a unique name).
  findOwnerByName(name: string): Promise<OwnerRef | undefined>
  findOwnerById(id: string): Promise<OwnerRef | undefined>
  /** Serializes writers of one owner until the transaction ends (PostgreSQL: row lock). */
  lockOwner(ownerId: string): Promise<void>

  countUsers(): Promise<number>
  /** Inserts the owner and the user; `name_conflict` when the name is taken by a user or team. */
  insertUser(user: UserRecord): Promise<void>
  findUserById(id: string): Promise<UserRecord | undefined>
  findUserByName(username: string): Promise<UserRecord | undefined>
  updateUser(
    id: string,
    patch: { readonly disabled?: boolean; readonly isAdmin?: boolean; readonly updatedAt: string },
  ): Promise<void>
  countActiveInstanceAdmins(): Promise<number>

  /** Inserts the owner and the team; `name_conflict` when the slug is taken by a user or team. */
  insertTeam(team: Team): Promise<void>
  findTeamBySlug(slug: string): Promise<Team | undefined>
  findTeamById(id: string): Promise<Team | undefined>
  /** Teams the user belongs to, with the user's role, ordered by slug. */
  listTeamsOfUser(userId: string): Promise<TeamWithRole[]>
  insertMembership(member: Omit<MemberRecord, 'username'>): Promise<void>
  findMembership(teamId: string, userId: string): Promise<MemberRecord | undefined>
  /** Members ordered by username. */
  listMembers(teamId: string): Promise<MemberRecord[]>
  updateMembershipRole(teamId: string, userId: string, role: Role): Promise<void>
  deleteMembership(teamId: string, userId: string): Promise<void>
  countTeamAdmins(teamId: string): Promise<number>

  insertOwnerKey(key: OwnerKeyRecord): Promise<void>
  findOwnerKey(ownerId: string): Promise<OwnerKeyRecord | undefined>
  listOwnerKeys(): Promise<OwnerKeyRecord[]>
  updateOwnerKey(
    ownerId: string,
    patch: {
      readonly masterKeyId: string
      readonly wrappedKey: Buffer
      readonly updatedAt: string
    },
  ): Promise<void>

  insertPersonalToken(token: PersonalTokenRecord): Promise<void>
  findPersonalTokenByHash(tokenHash: string): Promise<PersonalTokenRecord | undefined>
  /** Tokens of kind `token` (not web sessions), newest first. */
  listPersonalTokens(userId: string): Promise<PersonalTokenRecord[]>
  /** Returns false when the user has no such token. */
  deletePersonalToken(userId: string, tokenId: string): Promise<boolean>
  touchPersonalToken(tokenId: string, at: string): Promise<void>

  findLoginThrottle(key: string): Promise<LoginThrottleRecord | undefined>
  saveLoginThrottle(record: LoginThrottleRecord): Promise<void>
  deleteLoginThrottle(key: string): Promise<void>

  /** `name_conflict` when the owner already has a secret of that name. */
  insertSecret(secret: SecretRecord): Promise<void>
  findSecretById(id: string): Promise<SecretRecord | undefined>
  findSecretByName(ownerId: string, name: string): Promise<SecretRecord | undefined>
  /** Ordered by name. */
  listSecrets(ownerId: string, page: Page): Promise<SecretRecord[]>
  /** `name_conflict` when a rename collides. */
  updateSecret(id: string, patch: SecretPatch): Promise<void>
  /** Deletes the secret and all its versions. */
  deleteSecret(id: string): Promise<void>

  insertSecretVersion(version: SecretVersionRecord): Promise<void>
  findSecretVersion(secretId: string, version: number): Promise<SecretVersionRecord | undefined>
  /** Newest first. */
  listSecretVersions(secretId: string): Promise<SecretVersionRecord[]>
  /** Deletes all but the newest `keep` versions. */
  pruneSecretVersions(secretId: string, keep: number): Promise<void>

  /** The newest event of the owner's chain (highest seq), if any. */
  findAuditHead(
    ownerId: string,
  ): Promise<{ readonly seq: number; readonly hash: string } | undefined>
  /** `name_conflict` if (ownerId, seq) exists: the chain never forks. */
  insertAuditEvent(event: AuditRecord): Promise<void>
  /** Several events in as few statements as the engine allows (the resolve journal's batches);
   *  all or none: `name_conflict` if any (ownerId, seq) exists or repeats. */
  insertAuditEvents(events: readonly AuditRecord[]): Promise<void>
  /** Newest first (at desc, id desc). */
  listAuditEvents(filter: AuditFilter): Promise<AuditRecord[]>
  // ---- Environments (issue #4) ----
  /** `name_conflict` when the owner already has an environment of that name. */
  insertEnvironment(environment: EnvironmentRecord): Promise<void>
  findEnvironmentById(id: string): Promise<EnvironmentRecord | undefined>
  findEnvironmentByName(ownerId: string, name: string): Promise<EnvironmentRecord | undefined>
  /** The environment and its owner in one read (a runtime token's own environment, per resolve). */
  findEnvironmentWithOwner(
    id: string,
  ): Promise<{ environment: EnvironmentRecord; owner: OwnerRef } | undefined>
  /** Ordered by name. */
  listEnvironments(ownerId: string, page: Page): Promise<EnvironmentRecord[]>
  updateEnvironment(
    id: string,
    patch: {
      readonly description?: string
      readonly requirements?: string | null
      readonly updatedAt: string
    },
  ): Promise<void>
  /** Deletes the environment and everything in it: claims, direct secrets and their versions,
   *  variables, links, runtime tokens, consumers. */
  deleteEnvironment(id: string): Promise<void>
  /** revision = revision + 1; returns the new revision. */
  bumpRevision(environmentId: string, updatedAt: string): Promise<number>

  /** Takes `name` in the environment for an entry, atomically (INSERT … ON CONFLICT DO NOTHING):
   *  returns undefined when claimed, else the current holder. Concurrent claims of one name yield
   *  exactly one winner, on one server or on replicas sharing the database. */
  claimName(claim: ClaimedName): Promise<ClaimedName | undefined>
  /** Releases the name if `entryId` holds it. */
  releaseName(environmentId: string, name: string, entryId: string): Promise<void>
  findClaim(environmentId: string, name: string): Promise<ClaimedName | undefined>
  listClaims(environmentId: string): Promise<ClaimedName[]>

  insertDirectSecret(secret: DirectSecretRecord): Promise<void>
  findDirectSecret(environmentId: string, id: string): Promise<DirectSecretRecord | undefined>
  /** Ordered by name. */
  listDirectSecrets(environmentId: string): Promise<DirectSecretRecord[]>
  updateDirectSecret(id: string, patch: DirectSecretPatch): Promise<void>
  /** Deletes the direct secret and its versions. */
  deleteDirectSecret(id: string): Promise<void>
  /** Versions share SecretVersionRecord's shape; `secretId` is the direct secret's id. */
  insertDirectSecretVersion(version: SecretVersionRecord): Promise<void>
  findDirectSecretVersion(
    secretId: string,
    version: number,
  ): Promise<SecretVersionRecord | undefined>
  /** Newest first. */
  listDirectSecretVersions(secretId: string): Promise<SecretVersionRecord[]>
  pruneDirectSecretVersions(secretId: string, keep: number): Promise<void>
  /** The current version row of every direct secret of the environment (for resolve). */
  listCurrentDirectSecretVersions(environmentId: string): Promise<SecretVersionRecord[]>

  /** `name_conflict` on a duplicate (environment, name) — but claims decide conflicts first. */
  insertVariable(variable: VariableRecord): Promise<void>
  findVariable(environmentId: string, id: string): Promise<VariableRecord | undefined>
  /** Ordered by name. */
  listVariables(environmentId: string): Promise<VariableRecord[]>
  updateVariable(id: string, patch: VariablePatch): Promise<void>
  deleteVariable(id: string): Promise<void>

  /** `name_conflict` when the secret is already linked to the environment. */
  insertLink(link: LinkRecord): Promise<void>
  findLink(environmentId: string, secretId: string): Promise<LinkRecord | undefined>
  /** Links with their global secrets, ordered by the secret's name. */
  listLinks(environmentId: string): Promise<LinkedSecretRecord[]>
  /** Returns false when there was no such link. */
  deleteLink(environmentId: string, secretId: string): Promise<boolean>
  updateLinkRevision(linkId: string, updatedRevision: number): Promise<void>
  /** Every environment the global secret is linked to, ordered by owner/name. */
  listLinksOfSecret(secretId: string): Promise<SecretLinkPlace[]>

  /** `name_conflict` when the hash exists (practically impossible). */
  insertRuntimeToken(token: RuntimeTokenRecord): Promise<void>
  /** Finds by the current hash or by a previous hash still in its grace period is the caller's
   *  check: this matches `token_hash` or `previous_token_hash`. */
  findRuntimeTokenByHash(tokenHash: string): Promise<RuntimeTokenRecord | undefined>
  findRuntimeToken(environmentId: string, id: string): Promise<RuntimeTokenRecord | undefined>
  /** Newest first. */
  listRuntimeTokens(environmentId: string): Promise<RuntimeTokenRecord[]>
  updateRuntimeToken(
    id: string,
    patch: {
      readonly tokenHash: string
      readonly previousTokenHash: string | null
      readonly previousExpiresAt: string | null
    },
  ): Promise<void>
  deleteRuntimeToken(environmentId: string, id: string): Promise<boolean>
  touchRuntimeToken(id: string, at: string): Promise<void>

  /** Inserts or replaces the consumer's last resolve, unless the stored one is newer (a higher
   *  revision, or the same one later): batches may commit out of order. */
  upsertConsumer(consumer: ConsumerRecord): Promise<void>
  /** Consumers of the environment that resolved at or after `since`, newest first. */
  listConsumers(environmentId: string, since: string): Promise<ConsumerRecord[]>

  // ---- AI provider connections (SPEC.md §1.5) ----
  insertProviderConnection(connection: ProviderConnectionRecord): Promise<void>
  findProviderConnection(id: string): Promise<ProviderConnectionRecord | undefined>
  /** In creation order. */
  listProviderConnections(ownerId: string): Promise<ProviderConnectionRecord[]>
  updateProviderConnection(id: string, patch: ProviderConnectionPatch): Promise<void>
  /** Deletes the connection and its key versions; `still_linked` while it is attached. */
  deleteProviderConnection(id: string): Promise<void>
  /** Versions share SecretVersionRecord's shape; `secretId` is the connection's id and `name`
   *  its provider (both part of the ciphertext's AAD). */
  insertProviderKeyVersion(version: SecretVersionRecord): Promise<void>
  findProviderKeyVersion(
    connectionId: string,
    version: number,
  ): Promise<SecretVersionRecord | undefined>
  /** Newest first. */
  listProviderKeyVersions(connectionId: string): Promise<SecretVersionRecord[]>
  pruneProviderKeyVersions(connectionId: string, keep: number): Promise<void>

  /** `name_conflict` when the connection is attached already; `provider_conflict` when the
   *  environment has a connection of the same provider. */
  insertProviderAttachment(attachment: ProviderAttachmentRecord): Promise<void>
  /** Attachments with their connections, ordered by provider. */
  listProviderAttachments(environmentId: string): Promise<AttachedProviderRecord[]>
  /** Returns false when there was no such attachment. */
  deleteProviderAttachment(environmentId: string, connectionId: string): Promise<boolean>
  updateProviderAttachmentRevision(attachmentId: string, updatedRevision: number): Promise<void>
  /** Every environment the connection is attached to, ordered by owner/name. */
  listAttachmentsOfConnection(connectionId: string): Promise<ProviderAttachmentPlace[]>
  // ---- Revision notifications (issue #5: long polls) ----
  /** Subscribes to committed revision moves: `bumpRevision` in this process (delivered after
   *  its transaction commits, never before; dropped on rollback) and, on PostgreSQL, in every
   *  replica on the same database and schema (pg_notify in the transaction + one LISTEN
   *  connection per store). Resolves once listening; the result unsubscribes. */
  watchRevisions(listener: RevisionListener): Promise<() => void>
}
