// `coffer env requirements set|get` and `coffer env status` (SPEC.md §1 "Requirements", "Runtime
// tokens and sync", §3.3, §3.6). `status` exits 6 when required keys are missing, after printing
// everything, so a deploy script can gate on it.
import { readFile } from 'node:fs/promises'
import { CofferError } from '../../domain/errors.js'
import type { Requirement } from '../../domain/manifest.js'
import type { ApiClient } from '../api-client.js'
import {
  environmentPath,
  formatEnvironmentRef,
  parseEnvironmentRef,
  type EnvironmentRef,
} from '../environment-ref.js'
import type { CliDeps } from '../deps.js'
import { formatFields, formatTable, formatTime } from '../output.js'
import { listEntries } from './env-secret.js'
import { lastTest, listAttachedProviders } from './provider.js'
import { listVariables } from './env-var.js'

export interface Requirements {
  readonly secrets: readonly Requirement[]
}

export interface Consumer {
  readonly kind: string
  readonly id: string
  readonly name: string
  readonly lastResolvedAt: string | null
  readonly lastResolvedRevision: number | null
  readonly synced: boolean
}

export interface Status {
  readonly revision: number
  readonly requirements: Requirements | null
  readonly missingRequired: readonly string[]
  readonly consumers: readonly Consumer[]
}

/** The stored requirements, or null when the environment has none. */
export async function getRequirements(
  api: ApiClient,
  ref: EnvironmentRef,
): Promise<readonly Requirement[] | null> {
  const stored = await api.get<Requirements | null>(environmentPath(ref, 'requirements'))
  return stored && stored.secrets.length > 0 ? stored.secrets : null
}

function requirementsTable(requirements: readonly Requirement[]): string {
  return formatTable(requirements, [
    { header: 'KEY', cell: (r) => r.key },
    { header: 'REQUIRED', cell: (r) => (r.optional ? 'optional' : 'required') },
    { header: 'DESCRIPTION', cell: (r) => r.description },
  ])
}

/** Sends the manifest's text as YAML: the server parses it and reports problems by line. */
export async function setRequirements(
  args: { environment: string; file: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const file = args.file
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new CofferError('bad_request', `Cannot read ${file} (${code})`, { param: 'file' })
  })
  const api = await deps.api()
  const stored = await api.request<Requirements | null>(
    'PUT',
    environmentPath(ref, 'requirements'),
    {
      raw: { contentType: 'application/yaml', text },
    },
  )
  const secrets = stored.data?.secrets ?? []
  deps.output.result(stored.data, () =>
    secrets.length === 0
      ? `Cleared the requirements of ${formatEnvironmentRef(ref)}: every name is injected`
      : `Stored ${secrets.length} requirement(s) for ${formatEnvironmentRef(ref)} from ${file}\n${requirementsTable(secrets)}`,
  )
}

export async function showRequirements(
  args: { environment: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const stored = await api.get<Requirements | null>(environmentPath(ref, 'requirements'))
  const secrets = stored?.secrets ?? []
  if (secrets.length === 0 && !deps.output.json) {
    const shown = formatEnvironmentRef(ref)
    deps.output.notice(
      `${shown} stores no requirements: every name is injected. Store some with \`coffer env requirements set ${shown} coffer.yaml\`.`,
    )
    return
  }
  deps.output.result(stored, () => requirementsTable(secrets))
}

export async function showStatus(args: { environment: string }, deps: CliDeps): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const shown = formatEnvironmentRef(ref)
  const api = await deps.api()
  const [status, entries, variables, providers] = await Promise.all([
    api.get<Status>(environmentPath(ref, 'status')),
    listEntries(api, ref),
    listVariables(api, ref),
    listAttachedProviders(api, shown),
  ])
  // `synced: false` means a consumer that resolved in the last 7 days has not seen the change.
  const notSynced = [...entries, ...variables]
    .filter((entry) => entry.synced === false)
    .map((entry) => entry.name)
    .sort()
  const requirements = status.requirements?.secrets ?? []
  deps.output.result({ ...status, notSynced, providers }, () => {
    const required = requirements.filter((r) => !r.optional).length
    const lines = [
      formatFields([
        ['environment', shown],
        ['revision', status.revision],
        [
          'requirements',
          requirements.length === 0
            ? 'none stored (every name is injected)'
            : `${requirements.length} declared, ${required} required`,
        ],
        [
          'missing',
          status.missingRequired.length === 0 ? 'none' : status.missingRequired.join(', '),
        ],
        [
          'not synced',
          notSynced.length === 0
            ? status.consumers.length === 0
              ? 'no consumer resolved in the last 7 days'
              : 'none: every consumer has the latest values'
            : notSynced.join(', '),
        ],
      ]),
    ]
    if (status.consumers.length > 0) {
      lines.push(
        '',
        formatTable(status.consumers, [
          { header: 'CONSUMER', cell: (c) => c.name },
          { header: 'KIND', cell: (c) => c.kind },
          { header: 'LAST RESOLVED', cell: (c) => formatTime(c.lastResolvedAt) },
          { header: 'REVISION', cell: (c) => c.lastResolvedRevision },
          { header: 'SYNCED', cell: (c) => (c.synced ? 'yes' : 'no') },
        ]),
      )
    }
    // SPEC.md §1.5: the attached AI providers, and whether each passed its last test.
    lines.push(
      '',
      providers.length === 0
        ? 'AI providers: none attached'
        : `AI providers:\n${formatTable(providers, [
            { header: 'PROVIDER', cell: (p) => p.provider },
            { header: 'LABEL', cell: (p) => p.label },
            { header: 'NAMES', cell: (p) => p.names.join(', ') },
            { header: 'LAST TEST', cell: lastTest },
          ])}`,
    )
    return lines.join('\n')
  })
  if (status.missingRequired.length > 0) {
    throw new CofferError(
      'missing_required',
      `${shown} is missing required ${status.missingRequired.length === 1 ? 'key' : 'keys'} ${status.missingRequired.join(', ')}: add them with \`coffer env secret create ${shown} --name NAME\` or \`coffer env var set NAME VALUE ${shown}\``,
    )
  }
}
