// `coffer provider …` and `coffer env provider …` (SPEC.md §1.5, §4): AI provider connections and
// their attachments. A key comes from stdin or a hidden prompt and goes only into a request body;
// the API never returns one, so nothing here can print one.
import { CofferError } from '../../domain/errors.js'
import { Redacted } from '../../domain/redacted.js'
import { apiPath, resolveTeamId, type ApiClient } from '../api-client.js'
import { environmentPath, formatEnvironmentRef, parseEnvironmentRef } from '../environment-ref.js'
import type { CliDeps } from '../deps.js'
import { formatFields, formatTable, formatTime } from '../output.js'
import { stripTrailingNewline } from '../prompt.js'

export interface ProviderConnection {
  readonly id: string
  readonly provider: string
  readonly label: string
  readonly baseUrl: string | null
  readonly hint: string | null
  readonly version: number
  readonly names: readonly string[]
  readonly userId: string | null
  readonly teamId: string | null
  readonly lastTestOk: boolean | null
  readonly lastTestedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface AttachedProvider {
  readonly id: string
  readonly connectionId: string
  readonly provider: string
  readonly label: string
  readonly baseUrl: string | null
  readonly hint: string | null
  readonly names: readonly string[]
  readonly lastTestOk: boolean | null
  readonly lastTestedAt: string | null
  readonly updatedRevision: number
  readonly synced: boolean | null
  readonly createdAt: string
}

interface TestResult {
  readonly ok: boolean
  readonly status: number | null
  readonly latencyMs: number
  readonly details: string
}

const COMMAND_LINE_WARNING =
  'keys on the command line are visible to other users in the process list and shell history; use --api-key - (stdin) or the prompt'

/** "ok", "failed" or "never", with when: the listing's LAST TEST column. */
export const lastTest = (connection: {
  lastTestOk: boolean | null
  lastTestedAt: string | null
}): string =>
  connection.lastTestOk === null
    ? 'never'
    : `${connection.lastTestOk ? 'ok' : 'failed'} ${formatTime(connection.lastTestedAt)}`

async function readKey(flag: string | undefined, deps: CliDeps, prompt: string): Promise<Redacted> {
  if (flag === '-' || (flag === undefined && !deps.prompter.interactive)) {
    if (deps.prompter.interactive)
      deps.output.notice('Reading the key from stdin; end with Ctrl-D.')
    const text = stripTrailingNewline((await deps.prompter.readStdin()).toString('utf8'))
    if (text === '') {
      throw new CofferError(
        'usage',
        'No key on stdin: pipe it in (`coffer provider connect openai --api-key - < key.txt`) or run on a terminal to be asked',
      )
    }
    return Redacted.of(text)
  }
  if (flag !== undefined) {
    deps.output.warn(COMMAND_LINE_WARNING)
    return Redacted.of(flag)
  }
  return Redacted.of(await deps.prompter.askHidden(prompt))
}

async function teamIdOf(api: ApiClient, deps: CliDeps): Promise<string | undefined> {
  return deps.team === undefined ? undefined : resolveTeamId(api, deps.team)
}

const scopeLabel = (deps: CliDeps): string =>
  deps.team === undefined ? 'your personal scope' : `team ${deps.team}`

export async function connectProvider(
  args: {
    provider: string
    label?: string | undefined
    baseUrl?: string | undefined
    apiKey?: string | undefined
  },
  deps: CliDeps,
): Promise<void> {
  const api = await deps.api()
  const teamId = await teamIdOf(api, deps)
  const key = await readKey(args.apiKey, deps, `API key for ${args.provider} (hidden): `)
  const created = await api.post<ProviderConnection>('/providers', {
    provider: args.provider,
    // Security: the only place the key leaves its wrapper: into the request body.
    apiKey: key.reveal(),
    ...(args.label !== undefined && { label: args.label }),
    ...(args.baseUrl !== undefined && { baseUrl: args.baseUrl }),
    ...(teamId !== undefined && { teamId }),
  })
  deps.output.result(
    created,
    () =>
      `Connected ${created.provider} (${created.label}) in ${scopeLabel(deps)}: id ${created.id}, injects ${created.names.join(', ')}. ` +
      `Check it with \`coffer provider test ${created.id}\`; attach it with \`coffer env provider attach ${created.id} OWNER/ENV\`.`,
  )
}

export async function listProviders(_args: object, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const teamId = await teamIdOf(api, deps)
  const connections = await api.get<ProviderConnection[]>('/providers', { teamId })
  if (connections.length === 0 && !deps.output.json) {
    const flag = deps.team === undefined ? '' : ` --team ${deps.team}`
    deps.output.notice(
      `No provider connections in ${scopeLabel(deps)} yet. Add one with \`coffer${flag} provider connect openai\`.`,
    )
    return
  }
  deps.output.result(connections, () =>
    formatTable(connections, [
      { header: 'PROVIDER', cell: (c) => c.provider },
      { header: 'LABEL', cell: (c) => c.label },
      { header: 'ID', cell: (c) => c.id },
      { header: 'HINT', cell: (c) => c.hint },
      { header: 'NAMES', cell: (c) => c.names.join(', ') },
      { header: 'BASE URL', cell: (c) => c.baseUrl },
      { header: 'LAST TEST', cell: lastTest },
    ]),
  )
}

export async function updateProvider(
  args: {
    id: string
    label?: string | undefined
    baseUrl?: string | undefined
    apiKey?: string | undefined
  },
  deps: CliDeps,
): Promise<void> {
  if (args.label === undefined && args.baseUrl === undefined && args.apiKey === undefined) {
    throw new CofferError(
      'usage',
      'Nothing to change: give --api-key - (a new key from stdin), --label LABEL or --base-url URL',
    )
  }
  const api = await deps.api()
  const key =
    args.apiKey === undefined ? undefined : await readKey(args.apiKey, deps, 'New API key: ')
  const updated = await api.patch<ProviderConnection>(apiPath`/providers/${args.id}`, {
    ...(args.label !== undefined && { label: args.label }),
    ...(args.baseUrl !== undefined && { baseUrl: args.baseUrl }),
    // Security: the only place the key leaves its wrapper: into the request body.
    ...(key !== undefined && { apiKey: key.reveal() }),
  })
  deps.output.result(updated, () =>
    key === undefined
      ? `Updated ${updated.provider} connection ${updated.label}`
      : `Updated ${updated.provider} connection ${updated.label}: new key, version ${updated.version}`,
  )
}

/** Exits 1 when the provider refused the key or could not be reached. */
export async function testProvider(args: { id: string }, deps: CliDeps): Promise<number> {
  const api = await deps.api()
  const result = await api.post<TestResult>(apiPath`/providers/${args.id}/test`)
  deps.output.result(result, () =>
    formatFields([
      ['result', result.ok ? 'ok' : 'failed'],
      ['status', result.status ?? 'no answer'],
      ['latency', `${result.latencyMs} ms`],
      ['details', result.details],
    ]),
  )
  return result.ok ? 0 : 1
}

export async function deleteProvider(args: { id: string }, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  await api.delete(apiPath`/providers/${args.id}`)
  deps.output.done(`Deleted provider connection ${args.id}`)
}

export async function listAttachedProviders(
  api: ApiClient,
  environment: string,
): Promise<AttachedProvider[]> {
  return api.get<AttachedProvider[]>(environmentPath(parseEnvironmentRef(environment), 'providers'))
}

export const attachedTable = (attached: readonly AttachedProvider[]): string =>
  formatTable(attached, [
    { header: 'PROVIDER', cell: (a) => a.provider },
    { header: 'LABEL', cell: (a) => a.label },
    { header: 'CONNECTION', cell: (a) => a.connectionId },
    { header: 'NAMES', cell: (a) => a.names.join(', ') },
    { header: 'HINT', cell: (a) => a.hint },
    { header: 'LAST TEST', cell: lastTest },
    { header: 'SYNCED', cell: (a) => (a.synced === null ? '' : a.synced ? 'yes' : 'no') },
  ])

export async function listAttached(args: { environment: string }, deps: CliDeps): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const attached = await listAttachedProviders(api, args.environment)
  if (attached.length === 0 && !deps.output.json) {
    deps.output.notice(
      `No provider connections attached to ${formatEnvironmentRef(ref)}. Attach one with \`coffer env provider attach CONNECTION-ID ${formatEnvironmentRef(ref)}\`.`,
    )
    return
  }
  deps.output.result(attached, () => attachedTable(attached))
}

export async function attachProvider(
  args: { connectionId: string; environment: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const attached = await api.post<AttachedProvider>(environmentPath(ref, 'providers'), {
    connectionId: args.connectionId,
  })
  deps.output.result(
    attached,
    () =>
      `Attached ${attached.provider} (${attached.label}) to ${formatEnvironmentRef(ref)}: injects ${attached.names.join(', ')}`,
  )
}

export async function detachProvider(
  args: { connectionId: string; environment: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  await api.delete(environmentPath(ref, 'providers', args.connectionId))
  deps.output.done(
    `Detached provider connection ${args.connectionId} from ${formatEnvironmentRef(ref)}`,
  )
}
