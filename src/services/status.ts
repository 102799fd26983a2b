// `GET …/status` (SPEC.md §3.3): the revision, stored requirements and which required keys no
// entry supplies, and who resolved lately with whether they have seen the current revision.
import { decodeRequirements, type Requirement } from '../domain/manifest.js'
import { consumerSynced, missingRequired, syncWindowStart } from '../domain/sync.js'
import type { Actor } from '../domain/types.js'
import type { ServiceDeps } from './deps.js'
import type { EnvironmentPath } from './entries.js'
import type { EnvironmentService } from './environments.js'

export interface ConsumerView {
  readonly kind: 'user' | 'runtime'
  readonly id: string
  readonly name: string
  readonly lastResolvedAt: string
  readonly lastResolvedRevision: number
  /** Its last resolve saw the current revision (nothing changed since). */
  readonly synced: boolean
}

export interface StatusView {
  readonly revision: number
  readonly requirements: { readonly secrets: Requirement[] }
  readonly missingRequired: string[]
  /** Consumers that resolved in the last 7 days (the sync window), newest first. */
  readonly consumers: ConsumerView[]
}

export function createStatusService(deps: ServiceDeps, environments: EnvironmentService) {
  const { store } = deps
  return {
    async status(actor: Actor, path: EnvironmentPath): Promise<StatusView> {
      const { environment } = await environments.visible(actor, path.owner, path.env, 'env.read')
      const secrets = decodeRequirements(environment.requirements)?.secrets ?? []
      // Every kind of entry claims its names (conflict rules), so the claims are what is supplied.
      const supplied = new Set((await store.listClaims(environment.id)).map((claim) => claim.name))
      const consumers = await store.listConsumers(environment.id, syncWindowStart(deps.now()))
      return {
        revision: environment.revision,
        requirements: { secrets: [...secrets] },
        missingRequired: missingRequired(secrets, supplied),
        consumers: consumers.map((consumer) => ({
          kind: consumer.kind,
          id: consumer.consumerId,
          name: consumer.name,
          lastResolvedAt: consumer.lastResolvedAt,
          lastResolvedRevision: consumer.lastResolvedRevision,
          synced: consumerSynced(consumer, environment.revision),
        })),
      }
    },
  }
}

export type StatusService = ReturnType<typeof createStatusService>
