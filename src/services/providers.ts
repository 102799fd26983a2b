// AI provider connections (SPEC.md §1.5, §3.6): an owner's sealed, write-only provider keys,
// their test against the provider's `GET {baseUrl}/models`, and their attachment to the
// owner's environments, where each claims its injected names like any other entry.
import { aadFor, open, seal } from '../crypto/envelope.js'
import { nameTaken } from '../domain/conflicts.js'
import { CofferError } from '../domain/errors.js'
import {
  DEFAULT_BASE_URLS,
  INJECTED,
  injectedNames,
  parseBaseUrl,
  parseLabel,
  parseProvider,
  type KnownProvider,
  type ProviderName,
} from '../domain/providers.js'
import { Redacted } from '../domain/redacted.js'
import { entrySynced, syncWindowStart } from '../domain/sync.js'
import { assertAllowed, type Action } from '../domain/scopes.js'
import type { Actor, Entry, OwnerRef, RequestContext } from '../domain/types.js'
import { hintOf, parseValue } from '../domain/values.js'
import type {
  AttachedProviderRecord,
  EnvironmentRecord,
  ProviderConnectionRecord,
  SecretVersionRecord,
  Store,
} from '../store/store.js'
import { auditActorOf, recordAudit } from './audit.js'
import type { DataKeys } from './data-keys.js'
import { isoNow, type ServiceDeps } from './deps.js'
import type { EntryWriter, EnvironmentPath } from './entries.js'
import { environmentRef, type EnvironmentService } from './environments.js'
import { VERSIONS_KEPT, withIntegrityReport } from './secrets.js'
import { teamOwner } from './teams.js'

export interface ProviderOptions {
  /** Base URLs of the known providers (config: COFFER_PROVIDER_<NAME>_BASE_URL). */
  readonly baseUrls: Readonly<Record<KnownProvider, string>>
  /** How long a connection test waits for the provider. */
  readonly testTimeoutMs: number
  /** The HTTP client for tests of a connection (the process edge; tests may replace it). */
  readonly fetch?: typeof fetch
}

export const DEFAULT_PROVIDER_OPTIONS: ProviderOptions = {
  baseUrls: DEFAULT_BASE_URLS,
  testTimeoutMs: 5_000,
}

export interface ProviderConnectionView {
  readonly id: string
  readonly provider: ProviderName
  readonly label: string
  /** `custom` only; null for the known providers (the server's configuration sets theirs). */
  readonly baseUrl: string | null
  readonly hint: string | null
  readonly version: number
  /** The names an attachment of this connection injects. */
  readonly names: string[]
  readonly userId: string | null
  readonly teamId: string | null
  readonly lastTestOk: boolean | null
  readonly lastTestedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface AttachedProviderView {
  /** The attachment's id. */
  readonly id: string
  readonly connectionId: string
  readonly provider: ProviderName
  readonly label: string
  readonly baseUrl: string | null
  readonly hint: string | null
  readonly names: string[]
  readonly lastTestOk: boolean | null
  readonly lastTestedAt: string | null
  readonly updatedRevision: number
  /** SPEC.md §1 "sync": every recent consumer has resolved since it changed; null with none. */
  readonly synced: boolean | null
  readonly createdAt: string
}

export interface ProviderTestResult {
  readonly ok: boolean
  /** The provider's HTTP status; null when it could not be reached. */
  readonly status: number | null
  readonly latencyMs: number
  readonly details: string
}

/** One name a provider attachment contributes to resolve, with its value. */
export interface ProviderEntry extends Entry {
  readonly source: 'provider'
  readonly value: Redacted
}

const LABELS: Record<ProviderName, string> = {
  anthropic: 'Anthropic',
  openai: 'OpenAI',
  openrouter: 'OpenRouter',
  venice: 'Venice',
  custom: 'Custom',
}

/** Printable ASCII without spaces: a key travels in an HTTP header and an environment
 *  variable, where a line break or a control character would break both. */
const API_KEY = /^[\x21-\x7e]+$/

export const connectionView = (
  connection: ProviderConnectionRecord,
  owner: OwnerRef,
): ProviderConnectionView => ({
  id: connection.id,
  provider: connection.provider,
  label: connection.label,
  baseUrl: connection.baseUrl,
  hint: connection.hint,
  version: connection.version,
  names: injectedNames(connection.provider),
  userId: owner.kind === 'user' ? owner.id : null,
  teamId: owner.kind === 'team' ? owner.id : null,
  lastTestOk: connection.lastTestOk,
  lastTestedAt: connection.lastTestedAt,
  createdAt: connection.createdAt,
  updatedAt: connection.updatedAt,
})

export const attachedView = (
  attached: AttachedProviderRecord,
  synced: boolean | null = null,
): AttachedProviderView => ({
  id: attached.id,
  connectionId: attached.connectionId,
  provider: attached.provider,
  label: attached.connection.label,
  baseUrl: attached.connection.baseUrl,
  hint: attached.connection.hint,
  names: injectedNames(attached.provider),
  lastTestOk: attached.connection.lastTestOk,
  lastTestedAt: attached.connection.lastTestedAt,
  updatedRevision: attached.updatedRevision,
  synced,
  createdAt: attached.createdAt,
})

const keyAad = (
  ownerId: string,
  version: Pick<SecretVersionRecord, 'secretId' | 'name' | 'version'>,
): string =>
  aadFor({
    kind: 'provider',
    rowId: version.secretId,
    ownerId,
    name: version.name,
    version: version.version,
  })

function parseApiKey(input: string): Redacted {
  const key = parseValue(input, 'body.apiKey')
  if (!API_KEY.test(key.reveal())) {
    throw new CofferError(
      'invalid_value',
      'An API key is one line of printable ASCII characters without spaces',
      { param: 'body.apiKey' },
    )
  }
  return key
}

function baseUrlFor(provider: ProviderName, input: string | undefined): string | null {
  if (provider === 'custom') {
    if (input === undefined) {
      throw new CofferError(
        'invalid',
        'A custom provider needs `baseUrl`: the http(s) URL of its OpenAI-compatible API',
        { param: 'body.baseUrl' },
      )
    }
    return parseBaseUrl(input)
  }
  if (input !== undefined) {
    throw new CofferError(
      'invalid',
      `baseUrl is only for custom providers; the server sets ${provider}'s with COFFER_PROVIDER_${provider.toUpperCase()}_BASE_URL`,
      { param: 'body.baseUrl' },
    )
  }
  return null
}

const scopeError = (owner: OwnerRef) =>
  new CofferError(
    'secret_not_found',
    `Secret not found in the scope of ${owner.name}; personal secrets link to personal environments, team secrets to that team's environments`,
    { param: 'body.connectionId' },
  )

export function createProviderService(
  deps: ServiceDeps,
  environments: EnvironmentService,
  writer: EntryWriter,
  options: ProviderOptions = DEFAULT_PROVIDER_OPTIONS,
) {
  const { store } = deps
  // Attach and detach are entry writes: the same lock, claims and audit as entries.ts.
  const { writable, audit: auditEnvironment } = writer
  const fetcher = options.fetch ?? globalThis.fetch

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

  /** A connection the actor may `action`; invisible and unknown both answer 404 alike. */
  async function visibleConnection(
    actor: Actor,
    id: string,
    action: Action,
    tx: Store = store,
  ): Promise<{ connection: ProviderConnectionRecord; owner: OwnerRef }> {
    const connection = /^c[a-z0-9]{24}$/.test(id) ? await tx.findProviderConnection(id) : undefined
    const owner = connection ? await tx.findOwnerById(connection.ownerId) : undefined
    const what = 'provider connection'
    if (!connection || !owner) {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      throw new CofferError('not_found', `The ${what} was not found`, { param: 'path.id' })
    }
    // Security: the same code, words and param as above, so existence does not leak.
    assertAllowed(actor, action, { kind: 'owner', owner }, { what, param: 'path.id' })
    return { connection, owner }
  }

  async function sealKey(
    tx: Store,
    owner: OwnerRef,
    record: Omit<SecretVersionRecord, 'ciphertext'>,
    key: Redacted,
  ): Promise<SecretVersionRecord> {
    const dataKey = await deps.dataKeys.get(tx, owner.id)
    const plaintext = Buffer.from(key.reveal(), 'utf8')
    return { ...record, ciphertext: seal(dataKey, plaintext, keyAad(owner.id, record)) }
  }

  const openKey = (tx: Store, ownerId: string, connection: ProviderConnectionRecord) =>
    openProviderKey(tx, deps.dataKeys, ownerId, connection)

  function newKeyVersion(
    connection: Pick<ProviderConnectionRecord, 'id' | 'provider'>,
    version: number,
    actor: Actor,
    hint: string | null,
    createdAt: string,
  ): Omit<SecretVersionRecord, 'ciphertext'> {
    const who = auditActorOf(actor)
    return {
      secretId: connection.id,
      version,
      name: connection.provider,
      hint,
      createdAt,
      createdBy: who.id,
      createdByName: who.name,
    }
  }

  /** Calls `GET {baseUrl}/models` with the key; never throws, never echoes the key. */
  async function probe(
    connection: ProviderConnectionRecord,
    key: Redacted,
  ): Promise<ProviderTestResult> {
    const baseUrl =
      connection.provider === 'custom'
        ? (connection.baseUrl ?? '')
        : options.baseUrls[connection.provider]
    const url = `${baseUrl}/models`
    const origin = safeOrigin(baseUrl)
    // Security: the key goes in a header only, never in the URL or the details.
    const headers: Record<string, string> =
      connection.provider === 'anthropic'
        ? { 'x-api-key': key.reveal(), 'anthropic-version': '2023-06-01' }
        : { authorization: `Bearer ${key.reveal()}` }
    headers.accept = 'application/json'
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    try {
      const response = await fetcher(url, {
        method: 'GET',
        headers,
        // Security: a redirect would carry the key to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(options.testTimeoutMs),
      })
      const status = response.status
      if (response.ok) {
        const models = await countModels(response)
        return {
          ok: true,
          status,
          latencyMs: elapsed(),
          details:
            models === undefined
              ? `${origin} accepted the key`
              : `${origin} accepted the key and lists ${models} model${models === 1 ? '' : 's'}`,
        }
      }
      await response.body?.cancel().catch(() => undefined)
      return { ok: false, status, latencyMs: elapsed(), details: failureDetails(origin, status) }
    } catch (error) {
      const latencyMs = elapsed()
      if (isTimeout(error)) {
        return {
          ok: false,
          status: null,
          latencyMs,
          details: `${origin} did not answer within ${formatSeconds(options.testTimeoutMs)}; check the base URL and the network`,
        }
      }
      const code = networkCode(error)
      return {
        ok: false,
        status: null,
        latencyMs,
        details: `Could not reach ${origin}${code ? ` (${code})` : ''}; check the base URL and the network`,
      }
    }
  }

  return {
    async list(actor: Actor, teamId: string | undefined): Promise<ProviderConnectionView[]> {
      const owner = await ownerFor(actor, teamId, 'query.teamId')
      assertAllowed(actor, 'secret.read', { kind: 'owner', owner })
      return (await store.listProviderConnections(owner.id)).map((c) => connectionView(c, owner))
    },

    async create(
      actor: Actor,
      input: {
        provider: string
        apiKey: string
        label?: string | undefined
        baseUrl?: string | undefined
        teamId?: string | undefined
      },
      context: RequestContext,
    ): Promise<ProviderConnectionView> {
      const owner = await ownerFor(actor, input.teamId, 'body.teamId')
      assertAllowed(actor, 'secret.write', { kind: 'owner', owner }, { what: 'team' })
      const provider = parseProvider(input.provider)
      const baseUrl = baseUrlFor(provider, input.baseUrl)
      const label = input.label === undefined ? LABELS[provider] : parseLabel(input.label)
      const key = parseApiKey(input.apiKey)
      const now = isoNow(deps)
      const hint = hintOf(key)
      const connection: ProviderConnectionRecord = {
        id: deps.newId(),
        ownerId: owner.id,
        provider,
        label,
        baseUrl,
        version: 1,
        hint,
        lastTestOk: null,
        lastTestedAt: null,
        createdAt: now,
        updatedAt: now,
      }
      await store.transaction(async (tx) => {
        await tx.lockOwner(owner.id)
        await tx.insertProviderConnection(connection)
        await tx.insertProviderKeyVersion(
          await sealKey(tx, owner, newKeyVersion(connection, 1, actor, hint, now), key),
        )
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'provider.create',
          target: { connectionId: connection.id, provider, label },
          context,
        })
      })
      return connectionView(connection, owner)
    },

    async get(actor: Actor, id: string): Promise<ProviderConnectionView> {
      const { connection, owner } = await visibleConnection(actor, id, 'secret.read')
      return connectionView(connection, owner)
    },

    /** A new label, key (a new version) or base URL (custom). A new key or base URL moves the
     *  revision of every environment the connection is attached to, in the same transaction. */
    async update(
      actor: Actor,
      id: string,
      input: {
        label?: string | undefined
        apiKey?: string | undefined
        baseUrl?: string | undefined
      },
      context: RequestContext,
    ): Promise<ProviderConnectionView> {
      const label = input.label === undefined ? undefined : parseLabel(input.label)
      const key = input.apiKey === undefined ? undefined : parseApiKey(input.apiKey)
      return store.transaction(async (tx) => {
        const { connection, owner } = await visibleConnection(actor, id, 'secret.write', tx)
        await tx.lockOwner(owner.id)
        const current = (await tx.findProviderConnection(id)) ?? connection
        const baseUrl =
          input.baseUrl === undefined
            ? current.baseUrl
            : baseUrlFor(current.provider, input.baseUrl)
        const now = isoNow(deps)
        let { version, hint } = current
        if (key) {
          version += 1
          hint = hintOf(key)
          await tx.insertProviderKeyVersion(
            await sealKey(tx, owner, newKeyVersion(current, version, actor, hint, now), key),
          )
          await tx.pruneProviderKeyVersions(id, VERSIONS_KEPT)
        }
        const baseUrlChanged = baseUrl !== current.baseUrl
        await tx.updateProviderConnection(id, {
          ...(label !== undefined ? { label } : {}),
          ...(baseUrlChanged ? { baseUrl } : {}),
          version,
          hint,
          // A new key or URL has not been tested yet.
          ...(key || baseUrlChanged ? { lastTestOk: null, lastTestedAt: null } : {}),
          updatedAt: now,
        })
        if (key || baseUrlChanged) {
          for (const place of await tx.listAttachmentsOfConnection(id)) {
            const revision = await tx.bumpRevision(place.environmentId, now)
            await tx.updateProviderAttachmentRevision(place.attachmentId, revision)
          }
        }
        const changed = [
          ...(key ? ['apiKey'] : []),
          ...(baseUrlChanged ? ['baseUrl'] : []),
          ...(label !== undefined ? ['label'] : []),
        ]
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'provider.update',
          target: { connectionId: id, provider: current.provider, changed, version },
          context,
        })
        const retested = key !== undefined || baseUrlChanged
        return connectionView(
          {
            ...current,
            label: label ?? current.label,
            baseUrl,
            version,
            hint,
            lastTestOk: retested ? null : current.lastTestOk,
            lastTestedAt: retested ? null : current.lastTestedAt,
            updatedAt: now,
          },
          owner,
        )
      })
    },

    async delete(actor: Actor, id: string, context: RequestContext): Promise<void> {
      await store.transaction(async (tx) => {
        const { connection, owner } = await visibleConnection(actor, id, 'secret.write', tx)
        await tx.lockOwner(owner.id)
        const places = await tx.listAttachmentsOfConnection(id)
        if (places.length > 0) {
          const where = places.map((p) => environmentRef(p.ownerName, p.environmentName))
          throw new CofferError(
            'still_linked',
            `The ${connection.provider} connection ${connection.label} is still attached to ${where.join(', ')}; detach it first`,
          )
        }
        await tx.deleteProviderConnection(id)
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'provider.delete',
          target: { connectionId: id, provider: connection.provider, label: connection.label },
          context,
        })
      })
    },

    /** Checks the key against the provider and records the outcome (SPEC.md §1.5). */
    async test(actor: Actor, id: string, context: RequestContext): Promise<ProviderTestResult> {
      const { connection, owner } = await visibleConnection(actor, id, 'secret.write')
      const key = await withIntegrityReport(
        deps,
        () => owner,
        { connectionId: id, version: connection.version },
        context,
        () => openKey(store, owner.id, connection),
      )
      const result = await probe(connection, key)
      await store.transaction(async (tx) => {
        await tx.lockOwner(owner.id)
        const current = await tx.findProviderConnection(id)
        // A key or URL changed (or the connection went) while the test ran: its result is stale.
        if (current?.version === connection.version && current.baseUrl === connection.baseUrl) {
          await tx.updateProviderConnection(id, {
            lastTestOk: result.ok,
            lastTestedAt: isoNow(deps),
            updatedAt: current.updatedAt,
          })
        }
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'provider.test',
          target: {
            connectionId: id,
            provider: connection.provider,
            ok: result.ok,
            status: result.status,
          },
          context,
          outcome: result.ok ? 'success' : 'failure',
        })
      })
      return result
    },

    /** The environment's attached providers, by provider. */
    async listAttached(actor: Actor, path: EnvironmentPath): Promise<AttachedProviderView[]> {
      const { environment } = await environments.visible(actor, path.owner, path.env, 'env.read')
      const now = deps.now()
      const consumers = await store.listConsumers(environment.id, syncWindowStart(now))
      return (await store.listProviderAttachments(environment.id)).map((attached) =>
        attachedView(attached, entrySynced(attached.updatedRevision, consumers, now)),
      )
    },

    /** Attaches a connection of the environment's owner: claims its names (409 naming the
     *  holder), one connection per provider (409 provider_conflict), and moves the revision. */
    async attach(
      actor: Actor,
      path: EnvironmentPath,
      connectionId: string,
      context: RequestContext,
    ): Promise<AttachedProviderView> {
      return store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment, owner } = visible
        const connection = /^c[a-z0-9]{24}$/.test(connectionId)
          ? await tx.findProviderConnection(connectionId)
          : undefined
        // Security: another owner's connection answers as one that does not exist.
        if (connection?.ownerId !== owner.id) throw scopeError(owner)
        const attached = await tx.listProviderAttachments(environment.id)
        if (attached.some((a) => a.connectionId === connectionId)) {
          throw new CofferError(
            'name_conflict',
            `The ${connection.provider} connection ${connection.label} is already attached to ${environmentRef(owner.name, environment.name)}`,
            { param: 'body.connectionId' },
          )
        }
        const same = attached.find((a) => a.provider === connection.provider)
        if (same) {
          throw new CofferError(
            'provider_conflict',
            `${environmentRef(owner.name, environment.name)} already has a connection to ${connection.provider} (${same.connection.label}, ${same.connectionId}); detach it first`,
            { param: 'body.connectionId' },
          )
        }
        const id = deps.newId()
        for (const name of injectedNames(connection.provider)) {
          const holder = await tx.claimName({
            environmentId: environment.id,
            name,
            kind: 'provider',
            entryId: id,
          })
          if (holder) throw nameTaken(holder.kind, name, 'body.connectionId')
        }
        const updatedRevision = await environments.changed(tx, environment)
        const record = {
          id,
          environmentId: environment.id,
          connectionId,
          provider: connection.provider,
          updatedRevision,
          createdAt: isoNow(deps),
        }
        await tx.insertProviderAttachment(record)
        await auditEnvironment(
          tx,
          visible,
          actor,
          'env.provider.attach',
          {
            connectionId,
            provider: connection.provider,
            names: injectedNames(connection.provider),
          },
          context,
        )
        return attachedView({ ...record, connection })
      })
    },

    async detach(
      actor: Actor,
      path: EnvironmentPath,
      connectionId: string,
      context: RequestContext,
    ): Promise<void> {
      await store.transaction(async (tx) => {
        const visible = await writable(tx, actor, path)
        const { environment } = visible
        const attachment = (await tx.listProviderAttachments(environment.id)).find(
          (a) => a.connectionId === connectionId,
        )
        if (!attachment) {
          throw new CofferError(
            'not_found',
            'The provider connection is not attached to this environment',
            { param: 'path.connectionId' },
          )
        }
        await tx.deleteProviderAttachment(environment.id, connectionId)
        for (const name of injectedNames(attachment.provider)) {
          await tx.releaseName(environment.id, name, attachment.id)
        }
        await environments.changed(tx, environment)
        await auditEnvironment(
          tx,
          visible,
          actor,
          'env.provider.detach',
          { connectionId, provider: attachment.provider },
          context,
        )
      })
    },

    /** For resolve's per-revision snapshots: the names attached providers inject, with values. */
    resolveEntries(
      tx: Store,
      environment: EnvironmentRecord,
      ownerId: string,
    ): Promise<ProviderEntry[]> {
      return readProviderEntries(tx, deps.dataKeys, ownerId, environment.id)
    },
  }
}

/** The connection's current key, opened. Throws `integrity_error` when it does not open. */
async function openProviderKey(
  store: Store,
  dataKeys: DataKeys,
  ownerId: string,
  connection: ProviderConnectionRecord,
): Promise<Redacted> {
  const version = await store.findProviderKeyVersion(connection.id, connection.version)
  if (!version) {
    throw new CofferError(
      'integrity_error',
      'A provider connection has no stored key; the database may have been modified',
    )
  }
  const dataKey = await dataKeys.get(store, ownerId)
  return Redacted.of(open(dataKey, version.ciphertext, keyAad(ownerId, version)).toString('utf8'))
}

/**
 * For resolve (SPEC.md §1.5, §3.7): every name the environment's attached providers inject,
 * with its value — the key, and for `custom` its base URL as OPENAI_BASE_URL. Each entry's id is
 * its attachment's. Attaching, detaching and a new key or base URL all move the revision, so a
 * per-revision cache of the result stays correct. Throws `integrity_error` when a key does not
 * open under its row's AAD.
 */
export async function readProviderEntries(
  store: Store,
  dataKeys: DataKeys,
  ownerId: string,
  environmentId: string,
): Promise<ProviderEntry[]> {
  const entries: ProviderEntry[] = []
  for (const attached of await store.listProviderAttachments(environmentId)) {
    const key = await openProviderKey(store, dataKeys, ownerId, attached.connection)
    for (const { name, carries } of INJECTED[attached.provider]) {
      const value = carries === 'key' ? key : Redacted.of(attached.connection.baseUrl ?? '')
      entries.push({ name, source: 'provider', id: attached.id, value })
    }
  }
  return entries
}

/** `scheme://host:port` of a base URL, for details (never a path that might carry a token). */
function safeOrigin(baseUrl: string): string {
  try {
    return new URL(baseUrl).origin
  } catch {
    return 'the provider'
  }
}

async function countModels(response: Response): Promise<number | undefined> {
  try {
    const body: unknown = await response.json()
    if (typeof body === 'object' && body !== null && 'data' in body && Array.isArray(body.data)) {
      return body.data.length
    }
    return undefined
  } catch {
    return undefined
  }
}

function failureDetails(origin: string, status: number): string {
  if (status === 401 || status === 403) {
    return `${origin} rejected the key (HTTP ${status}); set a new one with PATCH /api/v1/providers/{id}`
  }
  if (status === 404) {
    return `${origin} has no /models endpoint at this base URL (HTTP 404); check the base URL`
  }
  if (status === 429) return `${origin} is rate limiting this key (HTTP 429); try again later`
  if (status >= 300 && status < 400) {
    return `${origin} answered with a redirect (HTTP ${status}), which is not followed; check the base URL`
  }
  return `${origin} answered HTTP ${status}`
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
}

/** A network error's code (ECONNREFUSED, ENOTFOUND, …): fetch puts it on the cause. */
function networkCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined
  if (typeof cause === 'object' && cause !== null && 'code' in cause) {
    const code = cause.code
    if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code
  }
  return undefined
}

const formatSeconds = (ms: number): string =>
  ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`

export type ProviderService = ReturnType<typeof createProviderService>
