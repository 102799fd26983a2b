// `coffer env var …`: an environment's variables (SPEC.md §3.5). Variables are configuration,
// not secrets: their values are listed, and may be given on the command line.
import { CofferError } from '../../domain/errors.js'
import {
  environmentPath,
  formatEnvironmentRef,
  parseEnvironmentRef,
  type EnvironmentRef,
} from '../environment-ref.js'
import type { ApiClient } from '../api-client.js'
import type { CliDeps } from '../deps.js'
import { formatTable, formatTime } from '../output.js'
import { syncedText } from './env.js'

export interface Variable {
  readonly id: string
  readonly name: string
  readonly value: string
  readonly description: string
  readonly updatedRevision: number
  readonly synced?: boolean | null
  readonly createdAt: string
  readonly updatedAt: string
}

export const listVariables = (api: ApiClient, ref: EnvironmentRef): Promise<Variable[]> =>
  api.list<Variable>(environmentPath(ref, 'variables'))

export async function listEnvVariables(
  args: { environment: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const variables = await listVariables(api, ref)
  if (variables.length === 0 && !deps.output.json) {
    const shown = formatEnvironmentRef(ref)
    deps.output.notice(
      `No variables in ${shown} yet. Set one with \`coffer env var set NAME VALUE ${shown}\`.`,
    )
    return
  }
  deps.output.result(variables, () =>
    formatTable(variables, [
      { header: 'NAME', cell: (variable) => variable.name },
      // An empty value is a value: show it as "" rather than the table's `-` for none.
      { header: 'VALUE', cell: (variable) => (variable.value === '' ? '""' : variable.value) },
      { header: 'SYNCED', cell: (variable) => syncedText(variable.synced) },
      { header: 'UPDATED', cell: (variable) => formatTime(variable.updatedAt) },
      { header: 'DESCRIPTION', cell: (variable) => variable.description },
    ]),
  )
}

/** Creates the variable, or changes the value of the one with that name. */
export async function setEnvVariable(
  args: { name: string; value: string; environment: string; description: string | undefined },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const existing = (await listVariables(api, ref)).find((variable) => variable.name === args.name)
  const body = {
    value: args.value,
    ...(args.description !== undefined && { description: args.description }),
  }
  const variable = existing
    ? await api.patch<Variable>(environmentPath(ref, 'variables', existing.id), body)
    : await api.post<Variable>(environmentPath(ref, 'variables'), { name: args.name, ...body })
  deps.output.result(
    variable,
    () =>
      `${existing ? 'Updated' : 'Created'} variable ${variable.name} in ${formatEnvironmentRef(ref)}`,
  )
}

export async function unsetEnvVariable(
  args: { name: string; environment: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const shown = formatEnvironmentRef(ref)
  const api = await deps.api()
  const existing = (await listVariables(api, ref)).find((variable) => variable.name === args.name)
  if (!existing) {
    const name = args.name.length > 64 ? `${args.name.slice(0, 64)}…` : args.name
    throw new CofferError(
      'not_found',
      `No variable named ${name} in ${shown}. Run \`coffer env var list ${shown}\` to see them.`,
    )
  }
  await api.delete(environmentPath(ref, 'variables', existing.id))
  deps.output.done(`Removed variable ${existing.name} from ${shown}`)
}
