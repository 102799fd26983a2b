// The seed platform's environment routes (SPEC.md §3.8), as aliases of the entry services: the
// environment is named by id, lists are whole, and items say where they come from.
import { CofferError } from '../domain/errors.js'
import type { Actor, RequestContext } from '../domain/types.js'
import type { ServiceDeps } from './deps.js'
import type {
  EntryService,
  EntryView,
  EnvironmentPath,
  IssuedEntryView,
  VariableView,
} from './entries.js'
import { environmentRef, type EnvironmentService, type EnvironmentView } from './environments.js'

export type HubSource = 'environment' | 'global-linked'

export type HubSecretView<T extends EntryView = EntryView> = T & { readonly source: HubSource }

export interface HubLinkView {
  readonly id: string
  readonly secretId: string
  readonly secretName: string
  readonly environmentId: string
  readonly createdAt: string
}

type SecretInput = Parameters<EntryService['createSecret']>[2]
type SecretPatch = Parameters<EntryService['updateSecret']>[3]
type VariableInput = Parameters<EntryService['createVariable']>[2]
type VariablePatch = Parameters<EntryService['updateVariable']>[3]

const withSource = <T extends EntryView>(item: T): HubSecretView<T> => ({
  ...item,
  source: item.type === 'linked' ? 'global-linked' : 'environment',
})

export function createEnvironmentsHubService(
  deps: ServiceDeps,
  environments: EnvironmentService,
  entries: EntryService,
) {
  const { store } = deps

  /** `owner/env` of the environment with this id, if the actor can see it (404 otherwise); the
   *  entry services then apply the action's own rule (403 for a viewer who writes). */
  async function pathOf(actor: Actor, envId: string): Promise<EnvironmentPath> {
    const { environment, owner } = await environments.visibleById(actor, envId, 'env.read')
    return { owner: owner.name, env: environment.name }
  }

  /** The path of a writable environment whose item `id` is not a linked global secret: the seed
   *  CLI's users are told which coffer command does what they meant (SPEC.md §3.8). */
  async function directOnly(actor: Actor, envId: string, id: string): Promise<EnvironmentPath> {
    const { environment, owner } = await environments.visibleById(actor, envId, 'env.write')
    const link = (await store.listLinks(environment.id)).find(
      (l) => l.id === id || l.secretId === id,
    )
    if (link) {
      const ref = environmentRef(owner.name, environment.name)
      throw new CofferError(
        'use_unlink',
        `${link.secret.name} is a linked global secret, not a secret of ${ref}: unlink it with \`coffer env secret unlink ${link.secretId} ${ref}\` (the global secret itself stays; change its value with \`coffer secret update ${link.secretId}\`)`,
        { param: 'path.id' },
      )
    }
    return { owner: owner.name, env: environment.name }
  }

  return {
    latest(actor: Actor, owner: string, name: string): Promise<EnvironmentView> {
      return environments.get(actor, owner, name)
    },

    async listSecrets(actor: Actor, envId: string): Promise<HubSecretView[]> {
      return (await entries.allSecrets(actor, await pathOf(actor, envId))).map(withSource)
    },

    async createSecret(
      actor: Actor,
      envId: string,
      input: SecretInput,
      context: RequestContext,
    ): Promise<HubSecretView<IssuedEntryView>> {
      const path = await pathOf(actor, envId)
      return withSource(await entries.createSecret(actor, path, input, context))
    },

    async updateSecret(
      actor: Actor,
      envId: string,
      id: string,
      input: SecretPatch,
      context: RequestContext,
    ): Promise<HubSecretView> {
      const path = await directOnly(actor, envId, id)
      return withSource(await entries.updateSecret(actor, path, id, input, context))
    },

    /** Direct secrets only: a linked item answers 409 `use_unlink`, naming the command. */
    async deleteSecret(
      actor: Actor,
      envId: string,
      id: string,
      context: RequestContext,
    ): Promise<void> {
      const path = await directOnly(actor, envId, id)
      await entries.deleteSecret(actor, path, id, context)
    },

    async link(
      actor: Actor,
      envId: string,
      secretId: string,
      context: RequestContext,
    ): Promise<HubLinkView> {
      const path = await pathOf(actor, envId)
      const linked = await entries.link(actor, path, secretId, context)
      return {
        id: linked.id,
        secretId,
        secretName: linked.name,
        environmentId: envId,
        createdAt: linked.createdAt,
      }
    },

    async unlink(
      actor: Actor,
      envId: string,
      secretId: string,
      context: RequestContext,
    ): Promise<void> {
      await entries.unlink(actor, await pathOf(actor, envId), secretId, context)
    },

    async listVariables(actor: Actor, envId: string): Promise<VariableView[]> {
      return entries.allVariables(actor, await pathOf(actor, envId))
    },

    async createVariable(
      actor: Actor,
      envId: string,
      input: VariableInput,
      context: RequestContext,
    ): Promise<VariableView> {
      return entries.createVariable(actor, await pathOf(actor, envId), input, context)
    },

    async updateVariable(
      actor: Actor,
      envId: string,
      id: string,
      input: VariablePatch,
      context: RequestContext,
    ): Promise<VariableView> {
      return entries.updateVariable(actor, await pathOf(actor, envId), id, input, context)
    },

    async deleteVariable(
      actor: Actor,
      envId: string,
      id: string,
      context: RequestContext,
    ): Promise<void> {
      await entries.deleteVariable(actor, await pathOf(actor, envId), id, context)
    },
  }
}

export type EnvironmentsHubService = ReturnType<typeof createEnvironmentsHubService>
