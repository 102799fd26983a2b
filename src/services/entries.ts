// An environment's entries (SPEC.md §3.4, §3.5): direct secrets (sealed, versioned, optionally
// generated), variables (plain text) and links to global secrets. Every name goes through
// claimName, so the conflict rules hold across kinds and across concurrent requests.
import { aadFor, open, seal } from '../crypto/envelope.js'
import { generateValue, type Alphabet } from '../crypto/generate.js'
import { nameTaken } from '../domain/conflicts.js'
import { CofferError } from '../domain/errors.js'
import { parseSecretName } from '../domain/names.js'
import { Redacted } from '../domain/redacted.js'
import type { Actor, EntrySource, OwnerRef, RequestContext } from '../domain/types.js'
import { entrySynced, syncWindowStart } from '../domain/sync.js'
import { hintOf, parseDescription, parseValue } from '../domain/values.js'
import type {
  DirectSecretRecord,
  EnvironmentRecord,
  LinkedSecretRecord,
  SecretVersionRecord,
  Store,
  VariableRecord,
} from '../store/store.js'
import { auditActorOf, recordAudit } from './audit.js'
import { isoNow, type ServiceDeps } from './deps.js'
import { environmentRef, type EnvironmentService, type VisibleEnvironment } from './environments.js'
import { VERSIONS_KEPT, withIntegrityReport, type Paged, type VersionView } from './secrets.js'

export interface EntryView {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly type: 'direct' | 'linked'
  readonly secretId?: string
  readonly hint: string | null
  readonly version: number
  readonly updatedRevision: number
  /** Null until resolve records consumers (SPEC.md §1 "Runtime tokens and sync"). */
  readonly synced: boolean | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** The create and rotate answers of a generated secret carry its value, once. */
export interface IssuedEntryView extends EntryView {
  readonly value?: string
}

export interface VariableView {
  readonly id: string
  readonly name: string
  readonly value: string
  readonly description: string
  readonly updatedRevision: number
  /** Listings only (SPEC.md §1 "Runtime tokens and sync"); null elsewhere. */
  readonly synced: boolean | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface Generator {
  readonly length: number
  readonly alphabet: Alphabet
}

/** Where an entry lives: `owner/env` from the path. */
export interface EnvironmentPath {
  readonly owner: string
  readonly env: string
}

export const directView = (secret: DirectSecretRecord): EntryView => ({
  id: secret.id,
  name: secret.name,
  description: secret.description,
  type: 'direct',
  hint: secret.hint,
  version: secret.version,
  updatedRevision: secret.updatedRevision,
  synced: null,
  createdAt: secret.createdAt,
  updatedAt: secret.updatedAt,
})

export const linkedView = (link: LinkedSecretRecord): EntryView => ({
  id: link.id,
  name: link.secret.name,
  description: link.secret.description,
  type: 'linked',
  secretId: link.secretId,
  hint: link.secret.hint,
  version: link.secret.version,
  updatedRevision: link.updatedRevision,
  synced: null,
  createdAt: link.createdAt,
  updatedAt: link.secret.updatedAt,
})

export const variableView = (variable: VariableRecord): VariableView => ({
  id: variable.id,
  name: variable.name,
  value: variable.value,
  description: variable.description,
  updatedRevision: variable.updatedRevision,
  synced: null,
  createdAt: variable.createdAt,
  updatedAt: variable.updatedAt,
})

const directAad = (
  ownerId: string,
  version: Pick<SecretVersionRecord, 'secretId' | 'name' | 'version'>,
): string =>
  aadFor({
    kind: 'direct',
    rowId: version.secretId,
    ownerId,
    name: version.name,
    version: version.version,
  })

/** The building blocks of every entry write, inside a caller's transaction. Shared by the
 *  entry routes and by `.env` import (services/imports.ts), so both claim names, seal values,
 *  and audit the same way. */
export function createEntryWriter(deps: ServiceDeps, environments: EnvironmentService) {
  /** The environment, locked for writing: every writer of one owner queues here, so claims,
   *  revisions and the audit chain never interleave (and never deadlock). */
  async function writable(
    tx: Store,
    actor: Actor,
    path: EnvironmentPath,
  ): Promise<VisibleEnvironment> {
    const visible = await environments.visible(actor, path.owner, path.env, 'env.write', tx)
    await tx.lockOwner(visible.owner.id)
    return visible
  }

  /** Takes `name` for an entry, or throws the 409 naming the holder. */
  async function claim(
    tx: Store,
    environment: EnvironmentRecord,
    name: string,
    kind: EntrySource,
    entryId: string,
  ): Promise<void> {
    const holder = await tx.claimName({ environmentId: environment.id, name, kind, entryId })
    if (holder) throw nameTaken(holder.kind, name)
  }

  /** Moves the claim of an entry from `from` to `to`: claim first, so a taken name changes nothing. */
  async function reclaim(
    tx: Store,
    environment: EnvironmentRecord,
    from: string,
    to: string,
    kind: EntrySource,
    entryId: string,
  ): Promise<void> {
    await claim(tx, environment, to, kind, entryId)
    await tx.releaseName(environment.id, from, entryId)
  }

  async function audit(
    tx: Store,
    visible: VisibleEnvironment,
    actor: Actor,
    action: string,
    target: Record<string, string | number | string[]>,
    context: RequestContext,
  ): Promise<void> {
    const { environment, owner } = visible
    await recordAudit(deps, tx, {
      owner,
      actor,
      action,
      target: {
        environmentId: environment.id,
        environment: environmentRef(owner.name, environment.name),
        ...target,
      },
      context,
      environmentId: environment.id,
    })
  }

  async function sealVersion(
    tx: Store,
    owner: OwnerRef,
    record: Omit<SecretVersionRecord, 'ciphertext'>,
    value: Redacted,
  ): Promise<SecretVersionRecord> {
    const dataKey = await deps.dataKeys.get(tx, owner.id)
    const plaintext = Buffer.from(value.reveal(), 'utf8')
    return { ...record, ciphertext: seal(dataKey, plaintext, directAad(owner.id, record)) }
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

  /** A direct secret of the environment; a linked item's id answers 409 `use_unlink`. */
  async function directSecret(
    tx: Store,
    environment: EnvironmentRecord,
    id: string,
  ): Promise<DirectSecretRecord> {
    const secret = await tx.findDirectSecret(environment.id, id)
    if (secret) return secret
    const link = (await tx.listLinks(environment.id)).find((l) => l.id === id || l.secretId === id)
    if (link) {
      throw new CofferError(
        'use_unlink',
        `${link.secret.name} is a linked global secret: change it through /api/v1/secrets/${link.secretId}, or unlink it with DELETE …/links/${link.secretId}`,
        { param: 'path.id' },
      )
    }
    throw new CofferError('not_found', 'The secret was not found in this environment', {
      param: 'path.id',
    })
  }

  async function variable(
    tx: Store,
    environment: EnvironmentRecord,
    id: string,
  ): Promise<VariableRecord> {
    const found = await tx.findVariable(environment.id, id)
    if (!found) {
      throw new CofferError('not_found', 'The variable was not found in this environment', {
        param: 'path.id',
      })
    }
    return found
  }

  /** Writes a new current version of a direct secret and prunes the oldest beyond 20. */
  async function writeVersion(
    tx: Store,
    visible: VisibleEnvironment,
    secret: DirectSecretRecord,
    name: string,
    value: Redacted,
    actor: Actor,
    now: string,
  ): Promise<{ version: number; hint: string | null }> {
    const version = secret.version + 1
    const hint = hintOf(value)
    await tx.insertDirectSecretVersion(
      await sealVersion(
        tx,
        visible.owner,
        newVersion(secret.id, name, version, actor, hint, now),
        value,
      ),
    )
    await tx.pruneDirectSecretVersions(secret.id, VERSIONS_KEPT)
    return { version, hint }
  }

  /** Inserts a new direct secret (version 1) whose name the caller has already claimed. */
  async function insertDirectSecret(
    tx: Store,
    visible: VisibleEnvironment,
    actor: Actor,
    input: {
      id: string
      name: string
      value: Redacted
      description: string
      generator: Generator | null
      revision: number
      now: string
    },
  ): Promise<DirectSecretRecord> {
    const { id, name, value, now } = input
    const hint = hintOf(value)
    const secret: DirectSecretRecord = {
      id,
      environmentId: visible.environment.id,
      name,
      description: input.description,
      version: 1,
      hint,
      generator: input.generator ? JSON.stringify(input.generator) : null,
      updatedRevision: input.revision,
      createdAt: now,
      updatedAt: now,
    }
    await tx.insertDirectSecret(secret)
    await tx.insertDirectSecretVersion(
      await sealVersion(tx, visible.owner, newVersion(id, name, 1, actor, hint, now), value),
    )
    return secret
  }

  /** Inserts a new variable whose name the caller has already claimed. */
  async function insertVariable(
    tx: Store,
    visible: VisibleEnvironment,
    input: {
      id: string
      name: string
      value: Redacted
      description: string
      revision: number
      now: string
    },
  ): Promise<VariableRecord> {
    const record: VariableRecord = {
      id: input.id,
      environmentId: visible.environment.id,
      name: input.name,
      // Variables are configuration, stored and shown in plain text (SPEC.md §1 "Values").
      value: input.value.reveal(),
      description: input.description,
      updatedRevision: input.revision,
      createdAt: input.now,
      updatedAt: input.now,
    }
    await tx.insertVariable(record)
    return record
  }

  return {
    writable,
    claim,
    reclaim,
    audit,
    directSecret,
    variable,
    writeVersion,
    insertDirectSecret,
    insertVariable,
  }
}

export type EntryWriter = ReturnType<typeof createEntryWriter>

export function createEntryService(
  deps: ServiceDeps,
  environments: EnvironmentService,
  writer: EntryWriter = createEntryWriter(deps, environments),
) {
  const { store } = deps
  const { writable, claim, reclaim, audit, directSecret, variable, writeVersion } = writer

  /** Per entry: have the consumers of the last 7 days seen its last change? */
  async function syncOf(
    environmentId: string,
  ): Promise<(updatedRevision: number) => boolean | null> {
    const now = deps.now()
    const consumers = await store.listConsumers(environmentId, syncWindowStart(now))
    return (updatedRevision) => entrySynced(updatedRevision, consumers, now)
  }

  async function allSecrets(actor: Actor, path: EnvironmentPath): Promise<EntryView[]> {
    const { environment } = await environments.visible(actor, path.owner, path.env, 'env.read')
    const synced = await syncOf(environment.id)
    return [
      ...(await store.listDirectSecrets(environment.id)).map(directView),
      ...(await store.listLinks(environment.id)).map(linkedView),
    ]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((item) => ({ ...item, synced: synced(item.updatedRevision) }))
  }

  async function allVariables(actor: Actor, path: EnvironmentPath): Promise<VariableView[]> {
    const { environment } = await environments.visible(actor, path.owner, path.env, 'env.read')
    const synced = await syncOf(environment.id)
    return (await store.listVariables(environment.id)).map((variable) => ({
      ...variableView(variable),
      synced: synced(variable.updatedRevision),
    }))
  }

  return {
    /** Direct and linked secrets together, by name. */
    async listSecrets(
      actor: Actor,
      path: EnvironmentPath,
      query: { limit: number; cursor?: string | undefined },
    ): Promise<Paged<EntryView>> {
      return pageByName(await allSecrets(actor, path), query)
    },

    /** The whole list, unpaged (the seed-compatible routes, SPEC.md §3.8). */
    allSecrets,

    allVariables,

    async createSecret(
      actor: Actor,
      path: EnvironmentPath,
      input: {
        name: string
        value?: string | undefined
        generate?: { length?: number | undefined; alphabet?: Alphabet | undefined } | undefined
        description?: string | undefined
      },
      context: RequestContext,
    ): Promise<IssuedEntryView> {
      const name = parseSecretName(input.name)
      const description = parseDescription(input.description)
      if ((input.value === undefined) === (input.generate === undefined)) {
        const neither = input.value === undefined
        throw new CofferError(
          'invalid',
          neither
            ? 'A direct secret needs `value` or `generate`'
            : 'Send either `value` or `generate`, not both',
          { param: neither ? 'body.value' : 'body.generate' },
        )
      }
      const generator: Generator | null = input.generate
        ? { length: input.generate.length ?? 32, alphabet: input.generate.alphabet ?? 'base64url' }
        : null
      const value = generator
        ? generateValue(generator.length, generator.alphabet)
        : parseValue(input.value ?? '')
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const now = isoNow(deps)
        const id = deps.newId()
        await claim(tx, environment, name, 'direct', id)
        const revision = await environments.changed(tx, environment)
        const secret = await writer.insertDirectSecret(tx, visible, actor, {
          id,
          name,
          value,
          description,
          generator,
          revision,
          now,
        })
        await audit(
          tx,
          visible,
          actor,
          'env.secret.create',
          { secretId: id, name, ...(generator ? { generated: 'true' } : {}) },
          context,
        )
        // Security: SPEC.md §1 — a generated value leaves the server here, once.
        return generator ? { ...directView(secret), value: value.reveal() } : directView(secret)
      })
    },

    async updateSecret(
      actor: Actor,
      path: EnvironmentPath,
      id: string,
      input: {
        name?: string | undefined
        value?: string | undefined
        description?: string | undefined
      },
      context: RequestContext,
    ): Promise<EntryView> {
      const name = input.name === undefined ? undefined : parseSecretName(input.name)
      const description =
        input.description === undefined ? undefined : parseDescription(input.description)
      const value = input.value === undefined ? undefined : parseValue(input.value)
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const current = await directSecret(tx, environment, id)
        const now = isoNow(deps)
        const renamed = name !== undefined && name !== current.name
        const nextName = renamed ? name : current.name
        if (renamed) await reclaim(tx, environment, current.name, nextName, 'direct', id)
        let { version, hint, updatedRevision } = current
        if (value)
          ({ version, hint } = await writeVersion(
            tx,
            visible,
            current,
            nextName,
            value,
            actor,
            now,
          ))
        if (renamed || value) updatedRevision = await environments.changed(tx, environment)
        await tx.updateDirectSecret(id, {
          ...(renamed ? { name: nextName } : {}),
          ...(description !== undefined ? { description } : {}),
          version,
          hint,
          updatedRevision,
          updatedAt: now,
        })
        const changed = [
          ...(value ? ['value'] : []),
          ...(renamed ? ['name'] : []),
          ...(description !== undefined ? ['description'] : []),
        ]
        await audit(
          tx,
          visible,
          actor,
          'env.secret.update',
          {
            secretId: id,
            name: nextName,
            ...(renamed ? { previousName: current.name } : {}),
            changed,
            version,
          },
          context,
        )
        return directView({
          ...current,
          name: nextName,
          description: description ?? current.description,
          version,
          hint,
          updatedRevision,
          updatedAt: now,
        })
      })
    },

    async deleteSecret(
      actor: Actor,
      path: EnvironmentPath,
      id: string,
      context: RequestContext,
    ): Promise<void> {
      await store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const secret = await directSecret(tx, environment, id)
        await tx.deleteDirectSecret(id)
        await tx.releaseName(environment.id, secret.name, id)
        await environments.changed(tx, environment)
        await audit(
          tx,
          visible,
          actor,
          'env.secret.delete',
          { secretId: id, name: secret.name },
          context,
        )
      })
    },

    /** A new random value for a generated secret, returned once. */
    async rotateSecret(
      actor: Actor,
      path: EnvironmentPath,
      id: string,
      context: RequestContext,
    ): Promise<IssuedEntryView> {
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const current = await directSecret(tx, environment, id)
        const generator = current.generator ? (JSON.parse(current.generator) as Generator) : null
        if (!generator) {
          throw new CofferError(
            'invalid',
            `${current.name} was not generated: set a new value with PATCH instead`,
            { param: 'path.id' },
          )
        }
        const value = generateValue(generator.length, generator.alphabet)
        const now = isoNow(deps)
        const { version, hint } = await writeVersion(
          tx,
          visible,
          current,
          current.name,
          value,
          actor,
          now,
        )
        const updatedRevision = await environments.changed(tx, environment)
        await tx.updateDirectSecret(id, { version, hint, updatedRevision, updatedAt: now })
        await audit(
          tx,
          visible,
          actor,
          'env.secret.rotate',
          { secretId: id, name: current.name, version },
          context,
        )
        const view = directView({ ...current, version, hint, updatedRevision, updatedAt: now })
        // Security: SPEC.md §1 — the new generated value leaves the server here, once.
        return { ...view, value: value.reveal() }
      })
    },

    async secretVersions(actor: Actor, path: EnvironmentPath, id: string): Promise<VersionView[]> {
      const { environment } = await environments.visible(actor, path.owner, path.env, 'env.read')
      await directSecret(store, environment, id)
      return (await store.listDirectSecretVersions(id)).map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        createdBy: v.createdByName,
        hint: v.hint,
      }))
    },

    async rollbackSecret(
      actor: Actor,
      path: EnvironmentPath,
      id: string,
      toVersion: number,
      context: RequestContext,
    ): Promise<EntryView> {
      let owner: OwnerRef | undefined
      return withIntegrityReport(
        deps,
        () => owner,
        { secretId: id, version: toVersion },
        context,
        () =>
          store.transaction(async (tx) => {
            const visible = await writable(tx, actor, path)
            owner = visible.owner
            const { environment } = visible
            const current = await directSecret(tx, environment, id)
            const old = await tx.findDirectSecretVersion(id, toVersion)
            if (!old) {
              throw new CofferError(
                'not_found',
                `Version ${toVersion} of this secret does not exist (the last ${VERSIONS_KEPT} are kept)`,
                { param: 'body.version' },
              )
            }
            const dataKey = await deps.dataKeys.get(tx, visible.owner.id)
            const plaintext = open(dataKey, old.ciphertext, directAad(visible.owner.id, old))
            const value = Redacted.of(plaintext.toString('utf8'))
            const now = isoNow(deps)
            const { version, hint } = await writeVersion(
              tx,
              visible,
              current,
              current.name,
              value,
              actor,
              now,
            )
            const updatedRevision = await environments.changed(tx, environment)
            await tx.updateDirectSecret(id, { version, hint, updatedRevision, updatedAt: now })
            await audit(
              tx,
              visible,
              actor,
              'env.secret.rollback',
              { secretId: id, name: current.name, fromVersion: toVersion, version },
              context,
            )
            return directView({ ...current, version, hint, updatedRevision, updatedAt: now })
          }),
      )
    },

    /** Links a global secret of the environment's owner (SPEC.md §1 "Scopes"). */
    async link(
      actor: Actor,
      path: EnvironmentPath,
      secretId: string,
      context: RequestContext,
    ): Promise<EntryView> {
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment, owner } = visible
        const secret = await tx.findSecretById(secretId)
        // Security: another owner's secret answers as one that does not exist.
        if (secret?.ownerId !== owner.id) {
          throw new CofferError(
            'secret_not_found',
            `Secret not found in the scope of ${owner.name}; personal secrets link to personal environments, team secrets to that team's environments`,
            { param: 'body.secretId' },
          )
        }
        if (await tx.findLink(environment.id, secretId)) {
          throw new CofferError(
            'name_conflict',
            `The global secret ${secret.name} is already linked to ${environmentRef(owner.name, environment.name)}`,
            { param: 'body.secretId' },
          )
        }
        const id = deps.newId()
        const holder = await tx.claimName({
          environmentId: environment.id,
          name: secret.name,
          kind: 'linked',
          entryId: id,
        })
        if (holder) throw nameTaken(holder.kind, secret.name, 'body.secretId')
        const updatedRevision = await environments.changed(tx, environment)
        const now = isoNow(deps)
        const link = {
          id,
          environmentId: environment.id,
          secretId,
          updatedRevision,
          createdAt: now,
        }
        await tx.insertLink(link)
        await audit(tx, visible, actor, 'env.link', { secretId, name: secret.name }, context)
        return linkedView({ ...link, secret })
      })
    },

    async unlink(
      actor: Actor,
      path: EnvironmentPath,
      secretId: string,
      context: RequestContext,
    ): Promise<void> {
      await store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const link = (await tx.listLinks(environment.id)).find((l) => l.secretId === secretId)
        if (!link) {
          throw new CofferError('not_found', 'The secret is not linked to this environment', {
            param: 'path.secretId',
          })
        }
        await tx.deleteLink(environment.id, secretId)
        await tx.releaseName(environment.id, link.secret.name, link.id)
        await environments.changed(tx, environment)
        await audit(tx, visible, actor, 'env.unlink', { secretId, name: link.secret.name }, context)
      })
    },

    async listVariables(
      actor: Actor,
      path: EnvironmentPath,
      query: { limit: number; cursor?: string | undefined },
    ): Promise<Paged<VariableView>> {
      return pageByName(await allVariables(actor, path), query)
    },

    async createVariable(
      actor: Actor,
      path: EnvironmentPath,
      input: { name: string; value: string; description?: string | undefined },
      context: RequestContext,
    ): Promise<VariableView> {
      const name = parseSecretName(input.name)
      const description = parseDescription(input.description)
      const value = parseValue(input.value, 'body.value', { allowEmpty: true })
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const id = deps.newId()
        await claim(tx, environment, name, 'variable', id)
        const revision = await environments.changed(tx, environment)
        const record = await writer.insertVariable(tx, visible, {
          id,
          name,
          value,
          description,
          revision,
          now: isoNow(deps),
        })
        await audit(tx, visible, actor, 'env.variable.create', { variableId: id, name }, context)
        return variableView(record)
      })
    },

    async updateVariable(
      actor: Actor,
      path: EnvironmentPath,
      id: string,
      input: {
        name?: string | undefined
        value?: string | undefined
        description?: string | undefined
      },
      context: RequestContext,
    ): Promise<VariableView> {
      const name = input.name === undefined ? undefined : parseSecretName(input.name)
      const description =
        input.description === undefined ? undefined : parseDescription(input.description)
      const value =
        input.value === undefined
          ? undefined
          : parseValue(input.value, 'body.value', { allowEmpty: true }).reveal()
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const current = await variable(tx, environment, id)
        const renamed = name !== undefined && name !== current.name
        const nextName = renamed ? name : current.name
        if (renamed) await reclaim(tx, environment, current.name, nextName, 'variable', id)
        const valueChanged = value !== undefined && value !== current.value
        let { updatedRevision } = current
        if (renamed || valueChanged) updatedRevision = await environments.changed(tx, environment)
        const now = isoNow(deps)
        await tx.updateVariable(id, {
          ...(renamed ? { name: nextName } : {}),
          ...(value !== undefined ? { value } : {}),
          ...(description !== undefined ? { description } : {}),
          updatedRevision,
          updatedAt: now,
        })
        const changed = [
          ...(value !== undefined ? ['value'] : []),
          ...(renamed ? ['name'] : []),
          ...(description !== undefined ? ['description'] : []),
        ]
        await audit(
          tx,
          visible,
          actor,
          'env.variable.update',
          {
            variableId: id,
            name: nextName,
            ...(renamed ? { previousName: current.name } : {}),
            changed,
          },
          context,
        )
        return variableView({
          ...current,
          name: nextName,
          value: value ?? current.value,
          description: description ?? current.description,
          updatedRevision,
          updatedAt: now,
        })
      })
    },

    async deleteVariable(
      actor: Actor,
      path: EnvironmentPath,
      id: string,
      context: RequestContext,
    ): Promise<void> {
      await store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const current = await variable(tx, environment, id)
        await tx.deleteVariable(id)
        await tx.releaseName(environment.id, current.name, id)
        await environments.changed(tx, environment)
        await audit(
          tx,
          visible,
          actor,
          'env.variable.delete',
          { variableId: id, name: current.name },
          context,
        )
      })
    },
  }
}

/** Pages a by-name sorted list in memory: an environment's entries are few. */
function pageByName<T extends { readonly name: string }>(
  items: T[],
  query: { limit: number; cursor?: string | undefined },
): Paged<T> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
  const rest = after === undefined ? items : items.filter((item) => item.name > after)
  const page = rest.slice(0, query.limit)
  const last = page.at(-1)
  return {
    items: page,
    nextCursor:
      rest.length > query.limit && last
        ? Buffer.from(last.name, 'utf8').toString('base64url')
        : null,
  }
}

function decodeCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
    throw new CofferError('bad_request', 'The cursor is not one this server issued', {
      param: 'query.cursor',
    })
  }
  return name
}

export type EntryService = ReturnType<typeof createEntryService>
