// Resolve (SPEC.md §3.7): the environment's values after precedence and requirements, for its
// runtime tokens and for members. Served from per-revision sealed snapshots, audited (names
// only) and recorded as a consumer through one group commit (docs/resolve-design.md).
import { CofferError, type ErrorItem } from '../domain/errors.js'
import { parseManifest, type Manifest } from '../domain/manifest.js'
import { resolveEnvironment } from '../domain/resolve.js'
import type { Actor, EntrySource, OwnerRef, RequestContext } from '../domain/types.js'
import type { ConsumerRecord } from '../store/store.js'
import { isoNow, type ServiceDeps } from './deps.js'
import type { EnvironmentPath } from './entries.js'
import { environmentRef, type EnvironmentService } from './environments.js'
import { createResolveJournal } from './resolve-journal.js'
import { createSnapshotCache, type ProviderEntries } from './resolve-snapshots.js'
import { withIntegrityReport } from './secrets.js'

export interface ResolveRequest {
  readonly requirements?:
    | {
        readonly secrets: readonly {
          readonly key: string
          readonly optional?: boolean | undefined
          readonly description?: string | undefined
        }[]
      }
    | undefined
}

export interface Resolved {
  readonly revision: number
  /** `{"revision":…,"values":{…},"sources":{…}}`, serialized once: the route sends it as is.
   *  Security: it holds secret values; it goes into the response and nowhere else. */
  readonly json: string
}

function consumerOf(
  actor: Actor,
  environmentId: string,
  revision: number,
  at: string,
): ConsumerRecord | undefined {
  switch (actor.kind) {
    case 'user':
      return {
        environmentId,
        kind: 'user',
        consumerId: actor.userId,
        name: actor.username,
        lastResolvedAt: at,
        lastResolvedRevision: revision,
      }
    case 'runtime':
      return {
        environmentId,
        kind: 'runtime',
        consumerId: actor.tokenId,
        name: actor.name,
        lastResolvedAt: at,
        lastResolvedRevision: revision,
      }
    case 'anonymous':
      return undefined
  }
}

export function createResolveService(
  deps: ServiceDeps,
  environments: EnvironmentService,
  providerEntries?: ProviderEntries,
) {
  const snapshots = createSnapshotCache(deps.store, deps.dataKeys, providerEntries)
  const journal = createResolveJournal(deps)

  return {
    async resolve(
      actor: Actor,
      path: EnvironmentPath,
      input: ResolveRequest,
      context: RequestContext,
    ): Promise<Resolved> {
      // Requirements sent with the request replace the stored ones (SPEC.md §1 "Requirements").
      const requested: Manifest | undefined = input.requirements
        ? parseManifest(
            { requirements: input.requirements },
            { source: 'The requirements of this request' },
          ).manifest
        : undefined
      let owner: OwnerRef | undefined
      return withIntegrityReport(
        deps,
        () => owner,
        { environment: environmentRef(path.owner, path.env) },
        context,
        async () => {
          const visible = await environments.visible(actor, path.owner, path.env, 'env.resolve')
          owner = visible.owner
          const { environment } = visible
          const snapshot = await snapshots.atLeast(owner, environment.id, environment.revision)
          const where = environmentRef(owner.name, environment.name)
          const target = { environmentId: environment.id, environment: where }
          const manifest = requested ?? snapshot.requirements
          let json: string
          let names: readonly string[]
          if (!manifest) {
            json = `{"revision":${snapshot.revision},${snapshots.fragment(snapshot)}}`
            names = snapshot.names
          } else {
            const resolution = resolveEnvironment(snapshot.entries, manifest)
            if (resolution.missing.length > 0) {
              await journal.append({
                owner,
                environmentId: environment.id,
                actor,
                action: 'env.resolve',
                target: {
                  ...target,
                  revision: snapshot.revision,
                  missing: [...resolution.missing],
                },
                context,
                outcome: 'failure',
              })
              const items = resolution.missing.map((key): ErrorItem => ({
                code: 'missing_required',
                param: `requirements.${key}`,
                details: `${key} is required but ${where} does not set it`,
              }))
              throw CofferError.of(items as [ErrorItem, ...ErrorItem[]])
            }
            const all = JSON.parse(`{${snapshots.fragment(snapshot)}}`) as {
              values: Record<string, string>
              sources: Record<string, EntrySource>
            }
            const values: Record<string, string> = {}
            const sources: Record<string, EntrySource> = {}
            for (const name of resolution.winners.keys()) {
              values[name] = all.values[name] ?? ''
              sources[name] = all.sources[name] ?? 'variable'
            }
            json = JSON.stringify({ revision: snapshot.revision, values, sources })
            names = [...resolution.winners.keys()]
          }
          const consumer = consumerOf(actor, environment.id, snapshot.revision, isoNow(deps))
          // The response waits for its audit event to be durable (group commit).
          await journal.append({
            owner,
            environmentId: environment.id,
            actor,
            action: 'env.resolve',
            // Security: names only, never a value.
            target: { ...target, revision: snapshot.revision, names: [...names] },
            context,
            outcome: 'success',
            ...(consumer ? { consumer } : {}),
          })
          return { revision: snapshot.revision, json }
        },
      )
    },

    /** Waits until every queued audit event is written (shutdown). */
    drain: () => journal.drain(),
  }
}

export type ResolveService = ReturnType<typeof createResolveService>
