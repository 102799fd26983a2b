// `coffer explain <owner/env> [NAME…]` (SPEC.md §4): which entry wins each name and what it
// shadows, and what the stored requirements do to it, from the listings of secrets, variables and
// attached providers (names and ids, never values). Exit 4 when names are asked for and none of them is set.
import { CofferError } from '../../domain/errors.js'
import type { Requirement } from '../../domain/manifest.js'
import { environmentPath, formatEnvironmentRef, parseEnvironmentRef } from '../environment-ref.js'
import {
  describeEntry,
  describeStatus,
  explainEnvironment,
  type ExplainedName,
  type ListedProvider,
} from '../explanation.js'
import type { CliDeps } from '../deps.js'
import { formatTable } from '../output.js'
import { getRequirements } from './env-status.js'
import { listEntries } from './env-secret.js'
import { listVariables } from './env-var.js'

export async function explain(
  args: { environment: string; names: readonly string[] },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const shown = formatEnvironmentRef(ref)
  const api = await deps.api()
  // The listings first: they answer 404 for an unknown environment.
  const [secrets, variables, providers] = await Promise.all([
    listEntries(api, ref),
    listVariables(api, ref),
    api.get<ListedProvider[]>(environmentPath(ref, 'providers')),
  ])
  const requirements: readonly Requirement[] | null = await getRequirements(api, ref)
  const explanation = explainEnvironment(
    { secrets, variables, providers, requirements },
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
