// What resolve serves from: per-(environment, revision) snapshots of the resolved values, built
// once per revision and kept in a bounded in-process LRU (docs/resolve-design.md). Opening every
// ciphertext per request costs ~5 µs per value; a snapshot costs one AES-GCM open per request.
// Security: each snapshot is sealed (AES-256-GCM) under a random key that exists only in this
// process's memory, never on disk; its AAD names the environment and revision. The cache is
// safe to lose and never serves a stale revision: the caller asks for at least the revision it
// has just read from the database.
import { aadFor, open, seal } from '../crypto/envelope.js'
import { newDataKey } from '../crypto/keyring.js'
import { CofferError } from '../domain/errors.js'
import type { Manifest } from '../domain/manifest.js'
import { decodeRequirements } from '../domain/manifest.js'
import { resolveEnvironment } from '../domain/resolve.js'
import type { Entry, EntrySource, OwnerRef } from '../domain/types.js'
import type { EnvironmentRecord, SecretVersionRecord, Store } from '../store/store.js'
import type { DataKeys } from './data-keys.js'
import type { ProviderEntry } from './providers.js'

/** The names attached provider connections inject, with their values (providers.ts). */
export type ProviderEntries = (
  tx: Store,
  environment: EnvironmentRecord,
  ownerId: string,
) => Promise<ProviderEntry[]>

const MAX_SNAPSHOTS = 512
const MAX_BYTES = 64 * 1024 * 1024
/** Reads of one snapshot that saw the revision move under them before giving up. */
const BUILD_ATTEMPTS = 5

export interface Snapshot {
  readonly environmentId: string
  readonly ownerId: string
  readonly revision: number
  /** Stored requirements at this revision (they move the revision when they change). */
  readonly requirements: Manifest | undefined
  /** Every entry, names and sources only, for requirements filtering. */
  readonly entries: readonly Entry[]
  /** The winning names, sorted, and where each comes from. */
  readonly names: readonly string[]
  readonly sources: Readonly<Record<string, EntrySource>>
  /** Sealed `"values":{…},"sources":{…}` (a JSON fragment), opened per request. */
  readonly sealed: Buffer
}

export interface SnapshotCache {
  /** A snapshot at `revision` or later. Throws integrity_error when a ciphertext fails to open. */
  atLeast(owner: OwnerRef, environmentId: string, revision: number): Promise<Snapshot>
  /** The JSON fragment `"values":{…},"sources":{…}` of a snapshot. */
  fragment(snapshot: Snapshot): string
}

const snapshotAad = (snapshot: Pick<Snapshot, 'environmentId' | 'ownerId' | 'revision'>) =>
  aadFor({
    kind: 'snapshot',
    rowId: snapshot.environmentId,
    ownerId: snapshot.ownerId,
    name: 'resolve',
    version: snapshot.revision,
  })

export function createSnapshotCache(
  store: Store,
  dataKeys: DataKeys,
  providerEntries?: ProviderEntries,
): SnapshotCache {
  // Security: process-ephemeral; gone with the process, so nothing sealed under it outlives it.
  const key = newDataKey()
  const cache = new Map<string, Snapshot>()
  let bytes = 0
  const building = new Map<string, Promise<Snapshot>>()

  function remember(snapshot: Snapshot): void {
    const old = cache.get(snapshot.environmentId)
    if (old) {
      if (old.revision > snapshot.revision) return
      bytes -= old.sealed.length
      cache.delete(snapshot.environmentId)
    }
    cache.set(snapshot.environmentId, snapshot)
    bytes += snapshot.sealed.length
    for (const [id, oldest] of cache) {
      if (cache.size <= MAX_SNAPSHOTS && bytes <= MAX_BYTES) break
      if (id === snapshot.environmentId) continue
      cache.delete(id)
      bytes -= oldest.sealed.length
    }
  }

  async function build(owner: OwnerRef, environmentId: string): Promise<Snapshot> {
    for (let attempt = 0; attempt < BUILD_ATTEMPTS; attempt++) {
      // Revision before and after every read: equal means no change committed in between, so the
      // entries are exactly those of that revision (READ COMMITTED reads each statement anew).
      const before = await store.findEnvironmentById(environmentId)
      if (!before) break
      const variables = await store.listVariables(environmentId)
      const directs = await store.listDirectSecrets(environmentId)
      const directVersions = await store.listCurrentDirectSecretVersions(environmentId)
      const links = await store.listLinks(environmentId)
      const linkVersions = new Map<string, SecretVersionRecord | undefined>()
      for (const link of links) {
        linkVersions.set(link.id, await store.findSecretVersion(link.secretId, link.secret.version))
      }
      const providers = providerEntries ? await providerEntries(store, before, owner.id) : []
      const after = await store.findEnvironmentById(environmentId)
      if (!after) break
      if (after.revision !== before.revision) continue

      const entries: Entry[] = [
        ...variables.map((v): Entry => ({ name: v.name, source: 'variable', id: v.id })),
        ...links.map((l): Entry => ({ name: l.secret.name, source: 'linked', id: l.id })),
        ...directs.map((d): Entry => ({ name: d.name, source: 'direct', id: d.id })),
        ...providers.map((p): Entry => ({ name: p.name, source: 'provider', id: p.id })),
      ]
      // A `custom` connection injects two names from one attachment: key by both.
      const providerValues = new Map(providers.map((p) => [`${p.id}|${p.name}`, p.value]))
      const { winners } = resolveEnvironment(entries)
      const variableValues = new Map(variables.map((v) => [v.id, v.value]))
      const versionOf = new Map(directVersions.map((v) => [v.secretId, v]))
      const linkOf = new Map(links.map((l) => [l.id, l]))
      const dataKey = winners.size > 0 ? await dataKeys.get(store, owner.id) : undefined
      const values: Record<string, string> = {}
      const sources: Record<string, EntrySource> = {}
      for (const [name, entry] of winners) {
        sources[name] = entry.source
        if (entry.source === 'variable') {
          values[name] = variableValues.get(entry.id) ?? ''
          continue
        }
        if (entry.source === 'provider') {
          values[name] = providerValues.get(`${entry.id}|${name}`)?.reveal() ?? ''
          continue
        }
        const version =
          entry.source === 'direct' ? versionOf.get(entry.id) : linkVersions.get(entry.id)
        const rowId = entry.source === 'direct' ? entry.id : linkOf.get(entry.id)?.secretId
        if (!version || !rowId || !dataKey) {
          throw new CofferError(
            'integrity_error',
            'Stored data failed its integrity check; the database may have been modified',
          )
        }
        const aad = aadFor({
          kind: entry.source === 'direct' ? 'direct' : 'secret',
          rowId,
          ownerId: owner.id,
          name: version.name,
          version: version.version,
        })
        values[name] = open(dataKey, version.ciphertext, aad).toString('utf8')
      }
      const fragment = `"values":${JSON.stringify(values)},"sources":${JSON.stringify(sources)}`
      const identity = { environmentId, ownerId: owner.id, revision: before.revision }
      return {
        ...identity,
        requirements: decodeRequirements(before.requirements),
        entries,
        names: [...winners.keys()],
        sources,
        sealed: seal(key, Buffer.from(fragment, 'utf8'), snapshotAad(identity)),
      }
    }
    const gone = !(await store.findEnvironmentById(environmentId))
    throw gone
      ? new CofferError('not_found', 'The environment was not found', { param: 'path.env' })
      : new CofferError('unavailable', 'The environment is changing too fast to resolve; retry')
  }

  async function atLeast(owner: OwnerRef, environmentId: string, revision: number) {
    const cached = cache.get(environmentId)
    if (cached && cached.revision >= revision) {
      // Most recently used last: Map iteration order is the eviction order.
      cache.delete(environmentId)
      cache.set(environmentId, cached)
      return cached
    }
    let pending = building.get(environmentId)
    if (!pending) {
      pending = build(owner, environmentId).finally(() => building.delete(environmentId))
      building.set(environmentId, pending)
    }
    const built = await pending
    // A build that began before the revision we read: build again.
    if (built.revision < revision) return atLeast(owner, environmentId, revision)
    remember(built)
    return built
  }

  return {
    atLeast,
    fragment(snapshot) {
      return open(key, snapshot.sealed, snapshotAad(snapshot)).toString('utf8')
    },
  }
}
