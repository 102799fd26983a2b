// `coffer explain <owner/env> [NAME…]` (SPEC.md §4): which entry wins each name and what it
// shadows, and what the stored requirements do to it, from the listings (names and ids, never
// values). Exit 4 when names are asked for and none of them is set.
import { CofferError } from '../../domain/errors.js'
import type { Requirement } from '../../domain/manifest.js'
import { formatEnvironmentRef, parseEnvironmentRef } from '../environment-ref.js'
import {
  describeEntry,
  describeStatus,
  explainEnvironment,
  type ExplainedName,
} from '../explanation.js'
import type { CliDeps } from '../main.js'
import { formatTable } from '../output.js'
import { getRequirements } from './env-status.js'
import { listEntries } from './env-secret.js'
import { listVariables } from './env-var.js'
import { listAttachedProviders } from './provider.js'

export async function explain(
  args: { environment: string; names: readonly string[] },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const shown = formatEnvironmentRef(ref)
  const api = await deps.api()
  // The listings first: they answer 404 for an unknown environment.
  const [secrets, variables] = await Promise.all([listEntries(api, ref), listVariables(api, ref)])
  // The environment exists (the listings said so): a 404 here is a server without the route.
  const requirements: readonly Requirement[] | null = await getRequirements(api, ref).catch(
    (error: unknown) => {
      if (error instanceof CofferError && error.code === 'not_found') return null
      throw error
    },
  )
  // The same tolerance for a server without provider routes.
  const providers = await listAttachedProviders(api, shown).catch((error: unknown) => {
    if (error instanceof CofferError && error.code === 'not_found') return []
    throw error
  })
  const explanation = explainEnvironment(
    { secrets, variables, requirements, providers },
    args.names,
  )
  deps.output.result({ environment: shown, ...explanation }, () =>
    explanation.names.length === 0
      ? `${shown} has no entries and no requirements.`
      : formatTable(explanation.names, [
          { header: 'NAME', cell: (row: ExplainedName) => row.name },
          { header: 'RESULT', cell: (row) => describeStatus(row) },
          { header: 'WINNER', cell: (row) => (row.winner ? describeEntry(row.winner) : null) },
          { header: 'SHADOWS', cell: (row) => row.shadowed.map(describeEntry).join(', ') },
        ]),
  )
  if (args.names.length > 0 && explanation.names.every((row) => row.winner === null)) {
    throw new CofferError(
      'not_found',
      `${args.names.length === 1 ? 'That name is' : 'None of those names is'} set in ${shown}. Run \`coffer explain ${shown}\` to see every name.`,
    )
  }
}
