// Global secrets (SPEC.md §1, §3.2): write-only values, versions, rollback, per-owner names.
import { aadFor, open, seal } from '../crypto/envelope.js'
import { holderDetails } from '../domain/conflicts.js'
import { CofferError } from '../domain/errors.js'
import { parseSecretName } from '../domain/names.js'
import { Redacted } from '../domain/redacted.js'
import { assertAllowed, type Action } from '../domain/scopes.js'
import type { Actor, OwnerRef, RequestContext } from '../domain/types.js'
import { hintOf, parseDescription, parseValue } from '../domain/values.js'
import type { SecretRecord, SecretVersionRecord, Store } from '../store/store.js'
import { auditActorOf, recordAudit } from './audit.js'
import { renameConflict } from './accounts.js'
import { isoNow, type ServiceDeps } from './deps.js'
import { environmentRef } from './environments.js'
import { teamOwner } from './teams.js'

/** SPEC.md §1: the last 20 versions are kept. */
export const VERSIONS_KEPT = 20

export interface SecretView {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly isFile: boolean
  readonly userId: string | null
  readonly teamId: string | null
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
  readonly hint: string | null
}

export interface VersionView {
  readonly version: number
  readonly createdAt: string
  readonly createdBy: string | null
  readonly hint: string | null
}

export interface Paged<T> {
  readonly items: T[]
  readonly nextCursor: string | null
}

export const secretView = (secret: SecretRecord, owner: OwnerRef): SecretView => ({
  id: secret.id,
  name: secret.name,
  description: secret.description,
  isFile: secret.isFile,
  userId: owner.kind === 'user' ? owner.id : null,
  teamId: owner.kind === 'team' ? owner.id : null,
  version: secret.version,
  createdAt: secret.createdAt,
  updatedAt: secret.updatedAt,
  hint: secret.hint,
})

const versionAad = (
  ownerId: string,
  version: Pick<SecretVersionRecord, 'secretId' | 'name' | 'version'>,
): string =>
  aadFor({
    kind: 'secret',
    rowId: version.secretId,
    ownerId,
    name: version.name,
    version: version.version,
  })

export function createSecretService(deps: ServiceDeps) {
  const { store } = deps

  /** The owner a request speaks for: the team of `teamId`, else the actor's personal scope. */
  async function ownerFor(
    actor: Actor,
    teamId: string | undefined,
    param: string,
  ): Promise<OwnerRef> {
    if (teamId !== undefined) {
      const team = await store.findTeamById(teamId)
      const owner: OwnerRef = team ? teamOwner(team) : { kind: 'team', id: teamId, name: teamId }
      assertAllowed(actor, 'secret.read', { kind: 'owner', owner }, { what: 'team', param })
      if (!team) throw new CofferError('not_found', 'The team was not found', { param })
      return owner
    }
    assertAllowed(actor, 'account.use', { kind: 'account' })
    if (actor.kind !== 'user') {
      throw new CofferError(
        'forbidden',
        'A runtime token can only resolve and watch its own environment',
      )
    }
    return { kind: 'user', id: actor.userId, name: actor.username }
  }

  /** A secret the actor may `action`; invisible and unknown both answer 404 secret_not_found. */
  async function visibleSecret(
    actor: Actor,
    id: string,
    action: Action,
    teamId: string | undefined,
    tx: Store = store,
  ): Promise<{ secret: SecretRecord; owner: OwnerRef }> {
    const secret = await tx.findSecretById(id)
    const owner = secret ? await tx.findOwnerById(secret.ownerId) : undefined
    const notFound = new CofferError('secret_not_found', 'The secret was not found', {
      param: 'path.id',
    })
    if (!secret || !owner) {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      throw notFound
    }
    assertAllowed(
      actor,
      action,
      { kind: 'owner', owner },
      // Security: the same code, words and param as `notFound` above, so existence does not leak.
      { notFound: 'secret_not_found', what: 'secret', param: 'path.id' },
    )
    // SPEC.md §3.2: teamId in the query is accepted and ignored when it matches the owner.
    if (teamId !== undefined && teamId !== (owner.kind === 'team' ? owner.id : '')) throw notFound
    return { secret, owner }
  }

  // Each takes the transaction's store: on SQLite a query on the root store inside a
  // transaction would wait forever for the one connection the transaction holds.
  async function sealVersion(
    tx: Store,
    owner: OwnerRef,
    record: Omit<SecretVersionRecord, 'ciphertext'>,
    value: Redacted,
  ): Promise<SecretVersionRecord> {
    const dataKey = await deps.dataKeys.get(tx, owner.id)
    const plaintext = Buffer.from(value.reveal(), 'utf8')
    return { ...record, ciphertext: seal(dataKey, plaintext, versionAad(owner.id, record)) }
  }

  async function openVersion(
    tx: Store,
    owner: OwnerRef,
    version: SecretVersionRecord,
  ): Promise<Redacted> {
    const dataKey = await deps.dataKeys.get(tx, owner.id)
    const plaintext = open(dataKey, version.ciphertext, versionAad(owner.id, version))
    return Redacted.of(plaintext.toString('utf8'))
  }

  function newVersion(
    secretId: string,
    name: string,
    version: number,
    actor: Actor,
    hint: string | null,
    createdAt: string,
  ): Omit<SecretVersionRecord, 'ciphertext'> {
    const who = auditActorOf(actor)
    return { secretId, version, name, hint, createdAt, createdBy: who.id, createdByName: who.name }
  }

  /** Carries a global secret's change into every environment it is linked to, in `tx`: a
   *  rename re-claims the name in each (409 naming the first where it is taken), and a rename
   *  or a new value moves each environment's revision and the link's updatedRevision. */
  async function propagate(
    tx: Store,
    secretId: string,
    change: { readonly from: string; readonly to: string; readonly valueChanged: boolean },
  ): Promise<void> {
    const renamed = change.from !== change.to
    if (!renamed && !change.valueChanged) return
    for (const place of await tx.listLinksOfSecret(secretId)) {
      if (renamed) {
        const holder = await tx.claimName({
          environmentId: place.environmentId,
          name: change.to,
          kind: 'linked',
          entryId: place.linkId,
        })
        if (holder) {
          const where = environmentRef(place.ownerName, place.environmentName)
          throw new CofferError(
            'name_conflict',
            `${holderDetails(holder.kind, change.to)} in ${where}`,
            { param: 'body.name' },
          )
        }
        await tx.releaseName(place.environmentId, change.from, place.linkId)
      }
      const revision = await tx.bumpRevision(place.environmentId, isoNow(deps))
      await tx.updateLinkRevision(place.linkId, revision)
    }
  }

  return {
    ownerFor,

    async list(
      actor: Actor,
      query: { teamId?: string | undefined; limit: number; cursor?: string | undefined },
    ): Promise<Paged<SecretView>> {
      const owner = await ownerFor(actor, query.teamId, 'query.teamId')
      assertAllowed(actor, 'secret.read', { kind: 'owner', owner })
      const after = query.cursor === undefined ? undefined : decodeNameCursor(query.cursor)
      const rows = await store.listSecrets(owner.id, {
        ...(after !== undefined ? { after } : {}),
        limit: query.limit + 1,
      })
      const page = rows.slice(0, query.limit)
      const last = page.at(-1)
      return {
        items: page.map((row) => secretView(row, owner)),
        nextCursor: rows.length > query.limit && last ? encodeNameCursor(last.name) : null,
      }
    },

    async create(
      actor: Actor,
      input: {
        name: string
        value: string
        description?: string | undefined
        teamId?: string | undefined
        isFile?: boolean | undefined
      },
      context: RequestContext,
    ): Promise<SecretView> {
      const owner = await ownerFor(actor, input.teamId, 'body.teamId')
      assertAllowed(actor, 'secret.write', { kind: 'owner', owner }, { what: 'team' })
      const name = parseSecretName(input.name)
      const description = parseDescription(input.description)
      const isFile = input.isFile ?? false
      const value = parseValue(input.value, 'body.value', { isFile })
      const now = isoNow(deps)
      const hint = hintOf(value)
      const secret: SecretRecord = {
        id: deps.newId(),
        ownerId: owner.id,
        name,
        description,
        isFile,
        version: 1,
        hint,
        createdAt: now,
        updatedAt: now,
      }
      const version = await sealVersion(
        store,
        owner,
        newVersion(secret.id, name, 1, actor, hint, now),
        value,
      )
      await store.transaction(async (tx) => {
        await tx.lockOwner(owner.id)
        await tx
          .insertSecret(secret)
          .catch(
            renameConflict(
              `A global secret with the name ${name} already exists in ${owner.name}`,
              'body.name',
            ),
          )
        await tx.insertSecretVersion(version)
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'secret.create',
          target: { secretId: secret.id, name },
          context,
        })
      })
      return secretView(secret, owner)
    },

    async get(actor: Actor, id: string, teamId: string | undefined): Promise<SecretView> {
      const { secret, owner } = await visibleSecret(actor, id, 'secret.read', teamId)
      return secretView(secret, owner)
    },

    async update(
      actor: Actor,
      id: string,
      input: {
        name?: string | undefined
        value?: string | undefined
        description?: string | undefined
      },
      teamId: string | undefined,
      context: RequestContext,
    ): Promise<SecretView> {
      const name = input.name === undefined ? undefined : parseSecretName(input.name)
      const description =
        input.description === undefined ? undefined : parseDescription(input.description)
      return store.transaction(async (tx) => {
        const { secret, owner } = await visibleSecret(actor, id, 'secret.write', teamId, tx)
        await tx.lockOwner(owner.id)
        const value =
          input.value === undefined
            ? undefined
            : parseValue(input.value, 'body.value', { isFile: secret.isFile })
        const current = (await tx.findSecretById(id)) ?? secret
        const now = isoNow(deps)
        const nextName = name ?? current.name
        let version = current.version
        let hint = current.hint
        if (value) {
          version += 1
          hint = hintOf(value)
          await tx.insertSecretVersion(
            await sealVersion(
              tx,
              owner,
              newVersion(id, nextName, version, actor, hint, now),
              value,
            ),
          )
          await tx.pruneSecretVersions(id, VERSIONS_KEPT)
        }
        const renamed = name !== undefined && name !== current.name
        await tx
          .updateSecret(id, {
            ...(renamed ? { name } : {}),
            ...(description !== undefined ? { description } : {}),
            version,
            hint,
            updatedAt: now,
          })
          .catch(
            renameConflict(
              `A global secret with the name ${nextName} already exists in ${owner.name}`,
              'body.name',
            ),
          )
        await propagate(tx, id, {
          from: current.name,
          to: nextName,
          valueChanged: value !== undefined,
        })
        const changed = [
          ...(value ? ['value'] : []),
          ...(renamed ? ['name'] : []),
          ...(description !== undefined ? ['description'] : []),
        ]
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'secret.update',
          target: {
            secretId: id,
            name: nextName,
            ...(renamed ? { previousName: current.name } : {}),
            changed,
            version,
          },
          context,
        })
        return secretView(
          {
            ...current,
            name: nextName,
            description: description ?? current.description,
            version,
            hint,
            updatedAt: now,
          },
          owner,
        )
      })
    },

    async delete(
      actor: Actor,
      id: string,
      teamId: string | undefined,
      context: RequestContext,
    ): Promise<void> {
      await store.transaction(async (tx) => {
        const { secret, owner } = await visibleSecret(actor, id, 'secret.write', teamId, tx)
        await tx.lockOwner(owner.id)
        const places = await tx.listLinksOfSecret(id)
        if (places.length > 0) {
          const where = places.map((p) => environmentRef(p.ownerName, p.environmentName))
          throw new CofferError(
            'still_linked',
            `The secret ${secret.name} is still linked to ${where.join(', ')}; unlink it first`,
          )
        }
        await tx.deleteSecret(id)
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'secret.delete',
          target: { secretId: id, name: secret.name },
          context,
        })
      })
    },

    async versions(actor: Actor, id: string, teamId: string | undefined): Promise<VersionView[]> {
      await visibleSecret(actor, id, 'secret.read', teamId)
      return (await store.listSecretVersions(id)).map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        createdBy: v.createdByName,
        hint: v.hint,
      }))
    },

    async rollback(
      actor: Actor,
      id: string,
      toVersion: number,
      teamId: string | undefined,
      context: RequestContext,
    ): Promise<SecretView> {
      let owner: OwnerRef | undefined
      return withIntegrityReport(
        deps,
        () => owner,
        { secretId: id, version: toVersion },
        context,
        () =>
          store.transaction(async (tx) => {
            owner = (await visibleSecret(actor, id, 'secret.write', teamId, tx)).owner
            await tx.lockOwner(owner.id)
            const current = await tx.findSecretById(id)
            const old = await tx.findSecretVersion(id, toVersion)
            if (!current || !old) {
              throw new CofferError(
                'not_found',
                `Version ${toVersion} of this secret does not exist (the last ${VERSIONS_KEPT} are kept)`,
                { param: 'body.version' },
              )
            }
            const value = await openVersion(tx, owner, old)
            const now = isoNow(deps)
            const version = current.version + 1
            await tx.insertSecretVersion(
              await sealVersion(
                tx,
                owner,
                newVersion(id, current.name, version, actor, old.hint, now),
                value,
              ),
            )
            await tx.pruneSecretVersions(id, VERSIONS_KEPT)
            await tx.updateSecret(id, { version, hint: old.hint, updatedAt: now })
            await propagate(tx, id, { from: current.name, to: current.name, valueChanged: true })
            await recordAudit(deps, tx, {
              owner,
              actor,
              action: 'secret.rollback',
              target: { secretId: id, name: current.name, fromVersion: toVersion, version },
              context,
            })
            return secretView({ ...current, version, hint: old.hint, updatedAt: now }, owner)
          }),
      )
    },

    /** Environments the secret is linked to (owner/name). */
    async links(
      actor: Actor,
      id: string,
      teamId: string | undefined,
    ): Promise<{ environment: string; environmentId: string }[]> {
      await visibleSecret(actor, id, 'secret.read', teamId)
      return (await store.listLinksOfSecret(id)).map((place) => ({
        environment: environmentRef(place.ownerName, place.environmentName),
        environmentId: place.environmentId,
      }))
    },
  }
}

/** SPEC.md §3: an integrity failure answers 500 `integrity_error` and leaves an
 *  `integrity.failure` event, written after `work`'s transaction has rolled back. */
export async function withIntegrityReport<T>(
  deps: ServiceDeps,
  owner: () => OwnerRef | undefined,
  target: Record<string, string | number>,
  context: RequestContext,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work()
  } catch (error) {
    const failedOwner = owner()
    if (error instanceof CofferError && error.code === 'integrity_error' && failedOwner) {
      await deps.store.transaction((tx) =>
        recordAudit(deps, tx, {
          owner: failedOwner,
          actor: { kind: 'anonymous', id: null, name: 'coffer' },
          action: 'integrity.failure',
          target,
          context,
          outcome: 'failure',
        }),
      )
    }
    throw error
  }
}

const encodeNameCursor = (name: string): string => Buffer.from(name, 'utf8').toString('base64url')

function decodeNameCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
    throw new CofferError('bad_request', 'The cursor is not one this server issued', {
      param: 'query.cursor',
    })
  }
  return name
}

export type SecretService = ReturnType<typeof createSecretService>
