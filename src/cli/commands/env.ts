// `coffer env create | list | delete` (SPEC.md §3.3, §4), and what the other `coffer env …`
// modules share: environments by `owner/name`, and entries (secrets, variables, tokens) by id or
// NAME. Nothing here handles a secret value.
import { CofferError } from '../../domain/errors.js'
import { apiPath, type ApiClient } from '../api-client.js'
import { environmentPath, formatEnvironmentRef, parseEnvironmentRef } from '../environment-ref.js'
import type { CliDeps } from '../deps.js'
import { formatTable, formatTime } from '../output.js'

export interface Environment {
  readonly id: string
  readonly owner: string
  readonly name: string
  readonly description: string
  readonly revision: number
  readonly createdAt: string
  readonly updatedAt: string
}

/** SPEC.md §3: every id is `c` + 24 lowercase letters or digits. */
export const ID_PATTERN = /^c[a-z0-9]{24}$/

/** `synced` of a listing: true, false, or null when no consumer resolved in the last 7 days. */
export const syncedText = (synced: boolean | null | undefined): string =>
  synced === true ? 'yes' : synced === false ? 'no' : '-'

/**
 * The one item whose id is `ref`, else the one whose name is `ref`.
 * @throws CofferError('not_found') when none is (exit 4), 'usage' when a name matches several.
 */
export function pickByRef<Item extends { readonly id: string; readonly name: string }>(
  items: readonly Item[],
  ref: string,
  what: { readonly kind: string; readonly where: string; readonly listCommand: string },
): Item {
  const byId = items.find((item) => item.id === ref)
  if (byId) return byId
  const byName = items.filter((item) => item.name === ref)
  const [only, ...others] = byName
  if (only && others.length === 0) return only
  const shown = ref.length > 64 ? `${ref.slice(0, 64)}…` : ref
  if (only) {
    throw new CofferError(
      'usage',
      `Several ${what.kind}s in ${what.where} are named ${shown}: give one id (\`${what.listCommand}\` shows them)`,
    )
  }
  throw new CofferError(
    'not_found',
    `No ${what.kind} ${ID_PATTERN.test(ref) ? 'with id' : 'named'} ${shown} in ${what.where}. Run \`${what.listCommand}\` to see them.`,
  )
}

/** The id or NAME a command names its entry by: a positional argument or `--id`, not both. */
export function entryRef(positional: string | undefined, id: string | undefined): string {
  if (positional !== undefined && id !== undefined && positional !== id) {
    throw new CofferError('usage', 'Name the entry once: as an argument or with --id, not both')
  }
  const ref = positional ?? id
  if (ref === undefined) throw new CofferError('usage', 'Say which entry: --id ID (or its NAME)')
  return ref
}

export async function createEnvironment(
  args: { environment: string; description: string | undefined },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const created = await api.post<Environment>('/environments', {
    owner: ref.owner,
    name: ref.name,
    ...(args.description !== undefined && { description: args.description }),
  })
  deps.output.result(
    created,
    () => `Created environment ${created.owner}/${created.name} (id ${created.id})`,
  )
}

export async function listEnvironments(
  args: { owner: string | undefined },
  deps: CliDeps,
): Promise<void> {
  const api = await deps.api()
  const owner = args.owner ?? deps.team
  const environments = await api.list<Environment>('/environments', { owner })
  if (environments.length === 0 && !deps.output.json) {
    const scope = owner ?? 'your personal scope'
    deps.output.notice(
      `No environments in ${scope} yet. Create one with \`coffer env create ${owner ?? 'OWNER'}/NAME\`.`,
    )
    return
  }
  deps.output.result(environments, () =>
    formatTable(environments, [
      { header: 'ENVIRONMENT', cell: (env) => `${env.owner}/${env.name}` },
      { header: 'REVISION', cell: (env) => env.revision },
      { header: 'UPDATED', cell: (env) => formatTime(env.updatedAt) },
      { header: 'DESCRIPTION', cell: (env) => env.description },
    ]),
  )
}

/**
 * Deletes without asking when stdin is not a terminal or with --yes (scripts); on a terminal it
 * asks for the environment's `owner/name` first, since everything in it goes too.
 */
export async function deleteEnvironment(
  args: { environment: string; yes: boolean },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const shown = formatEnvironmentRef(ref)
  const api = await deps.api()
  if (!args.yes && deps.prompter.interactive) {
    await api.get<Environment>(environmentPath(ref)) // a typo should say "not found" first
    const answer = await deps.prompter.ask(
      `This deletes ${shown} with its direct secrets, variables, links and tokens (global secrets stay). Type ${shown} to confirm: `,
    )
    if (answer.trim() !== shown) {
      throw new CofferError('usage', `Not deleted: the answer was not ${shown}`)
    }
  }
  await api.delete(environmentPath(ref))
  deps.output.done(`Deleted environment ${shown}`)
}

/** Whether a name is a team's slug: owners share one namespace, so otherwise it is a user. */
export async function teamIdOfOwner(api: ApiClient, owner: string): Promise<string | undefined> {
  try {
    return (await api.get<{ readonly id: string }>(apiPath`/teams/${owner}`)).id
  } catch (error) {
    if (error instanceof CofferError && error.code === 'not_found') return undefined
    throw error
  }
}
