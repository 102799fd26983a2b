// An environment's stored requirements (SPEC.md §1 "Requirements", §3.6 `GET|PUT …/requirements`).
// Storing them changes what `resolve` returns, so a change moves the revision in the same
// transaction; a PUT that stores what is already there leaves it alone.
import { CofferError, type ErrorItem } from '../domain/errors.js'
import {
  decodeRequirements,
  encodeRequirements,
  parseManifest,
  type Manifest,
  type Requirement,
} from '../domain/manifest.js'
import { parseManifestYaml } from '../formats/manifest-yaml.js'
import type { Actor, RequestContext } from '../domain/types.js'
import { recordAudit } from './audit.js'
import { isoNow, type ServiceDeps } from './deps.js'
import type { EnvironmentPath } from './entries.js'
import { environmentRef, type EnvironmentService } from './environments.js'

/** What a PUT brings: the JSON shape, or the text of a coffer.yaml / app.yaml. */
export type RequirementsInput =
  { readonly secrets: readonly unknown[] | undefined } | { readonly yaml: string }

export interface RequirementsView {
  readonly secrets: Requirement[]
}

const viewOf = (manifest: Manifest | undefined): RequirementsView => ({
  secrets: [...(manifest?.secrets ?? [])],
})

export function createRequirementsService(deps: ServiceDeps, environments: EnvironmentService) {
  const { store } = deps
  return {
    async get(actor: Actor, path: EnvironmentPath): Promise<RequirementsView> {
      const { environment } = await environments.visible(actor, path.owner, path.env, 'env.read')
      return viewOf(decodeRequirements(environment.requirements))
    },

    /** Replaces the stored requirements; an empty list clears them. */
    async set(
      actor: Actor,
      path: EnvironmentPath,
      input: RequirementsInput,
      context: RequestContext,
    ): Promise<RequirementsView> {
      const manifest = parseRequirements(input)
      const encoded = encodeRequirements(manifest.secrets)
      return store.transaction(async (tx) => {
        const visible = await environments.visible(actor, path.owner, path.env, 'env.write', tx)
        const { owner } = visible
        await tx.lockOwner(owner.id)
        // Read again under the lock: a concurrent PUT may have stored these requirements already.
        const environment =
          (await tx.findEnvironmentById(visible.environment.id)) ?? visible.environment
        const changed = environment.requirements !== encoded
        let { revision } = environment
        if (changed) {
          await tx.updateEnvironment(environment.id, {
            requirements: encoded,
            updatedAt: isoNow(deps),
          })
          revision = await environments.changed(tx, environment)
        }
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'env.requirements.set',
          target: {
            environmentId: environment.id,
            environment: environmentRef(owner.name, environment.name),
            // Names only: the requirements hold keys and descriptions, never values.
            required: manifest.secrets.filter((s) => !s.optional).map((s) => s.key),
            optional: manifest.secrets.filter((s) => s.optional).map((s) => s.key),
            changed: changed ? 'yes' : 'no',
            revision,
          },
          context,
          environmentId: environment.id,
        })
        return viewOf(decodeRequirements(encoded))
      })
    },
  }
}

/** Validates either form with the manifest rules (names, duplicates, fields); YAML problems
 *  carry their line numbers. */
export function parseRequirements(input: RequirementsInput): Manifest {
  if ('yaml' in input) {
    const parsed = parseManifestYaml(input.yaml, 'The YAML body')
    if (!parsed.hasRequirements) {
      throw new CofferError(
        'invalid',
        'The YAML declares no requirements: an app.yaml needs a `requirements:` section with `secrets:` to be stored',
        { param: 'body' },
      )
    }
    return parsed.manifest
  }
  if (input.secrets === undefined) {
    throw new CofferError('invalid', 'body.secrets is required', { param: 'body.secrets' })
  }
  try {
    return parseManifest(
      { requirements: { secrets: input.secrets } },
      { source: 'The request body' },
    ).manifest
  } catch (error) {
    if (!(error instanceof CofferError)) throw error
    // The JSON form has no `requirements` level: point at `body.secrets.N…` as the client sent it.
    const items = error.items.map((item): ErrorItem => ({
      ...item,
      param: item.param.replace('body.requirements.secrets', 'body.secrets'),
      details: item.details.replace('requirements.secrets', 'secrets'),
    }))
    throw CofferError.of(items as [ErrorItem, ...ErrorItem[]])
  }
}

export type RequirementsService = ReturnType<typeof createRequirementsService>
