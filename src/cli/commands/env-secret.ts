// `coffer env secret …`: an environment's direct and linked secrets (SPEC.md §3.4). Values come
// from a file, stdin or a hidden prompt and go only into a request body; the one exception is a
// generated value, which the server returns once and which this prints once, on stdout: printing
// it is the point of `generate` and `rotate`.
import { CofferError } from '../../domain/errors.js'
import { Redacted } from '../../domain/redacted.js'
import type { ApiClient } from '../api-client.js'
import {
  environmentPath,
  formatEnvironmentRef,
  parseEnvironmentRef,
  type EnvironmentRef,
} from '../environment-ref.js'
import type { CliDeps } from '../deps.js'
import { formatTable, formatTime } from '../output.js'
import { ID_PATTERN, entryRef, pickByRef, syncedText, teamIdOfOwner } from './env.js'
import { readValue, type Secret, type ValueFlags } from './secret.js'

export interface EnvironmentEntry {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly type: 'direct' | 'linked'
  readonly secretId?: string
  readonly hint: string | null
  readonly version: number
  readonly updatedRevision: number
  readonly synced: boolean | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** The create and rotate answers of a generated secret carry its value, once. */
interface IssuedEntry extends EnvironmentEntry {
  readonly value?: string
}

export const ALPHABETS = ['base64url', 'hex', 'alphanumeric'] as const

export const listEntries = (api: ApiClient, ref: EnvironmentRef): Promise<EnvironmentEntry[]> =>
  api.list<EnvironmentEntry>(environmentPath(ref, 'secrets'))

async function findEntry(
  api: ApiClient,
  ref: EnvironmentRef,
  entry: string,
): Promise<EnvironmentEntry> {
  const shown = formatEnvironmentRef(ref)
  return pickByRef(await listEntries(api, ref), entry, {
    kind: 'secret',
    where: shown,
    listCommand: `coffer env secret list ${shown}`,
  })
}

export async function listEnvSecrets(args: { environment: string }, deps: CliDeps): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const entries = await listEntries(api, ref)
  if (entries.length === 0 && !deps.output.json) {
    const shown = formatEnvironmentRef(ref)
    deps.output.notice(
      `No secrets in ${shown} yet. Add one with \`coffer env secret create ${shown} --name NAME --value-file FILE\` or link one with \`coffer env secret link SECRET ${shown}\`.`,
    )
    return
  }
  deps.output.result(entries, () =>
    formatTable(entries, [
      { header: 'NAME', cell: (entry) => entry.name },
      { header: 'TYPE', cell: (entry) => entry.type },
      { header: 'HINT', cell: (entry) => entry.hint },
      { header: 'VERSION', cell: (entry) => entry.version },
      { header: 'SYNCED', cell: (entry) => syncedText(entry.synced) },
      { header: 'UPDATED', cell: (entry) => formatTime(entry.updatedAt) },
      { header: 'ID', cell: (entry) => entry.id },
    ]),
  )
}

export interface CreateArgs extends ValueFlags {
  readonly environment: string
  readonly name: string
  readonly description?: string | undefined
}

export async function createEnvSecret(args: CreateArgs, deps: CliDeps): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const value = (await readValue(args, deps, false)) ?? (await promptValue(args.name, deps))
  const created = await api.post<EnvironmentEntry>(environmentPath(ref, 'secrets'), {
    name: args.name,
    // Security: the only place the value leaves its wrapper: into the request body.
    value: value.reveal(),
    ...(args.description !== undefined && { description: args.description }),
  })
  deps.output.result(
    created,
    () =>
      `Created secret ${created.name} in ${formatEnvironmentRef(ref)} (id ${created.id}, version ${created.version})`,
  )
}

async function promptValue(name: string, deps: CliDeps): Promise<Redacted> {
  if (!deps.prompter.interactive) {
    throw new CofferError(
      'usage',
      'No value given: give the value with --value-file F or --value - (stdin), or use `coffer env secret generate`',
    )
  }
  return Redacted.of(await deps.prompter.askHidden(`Value for ${name} (hidden): `))
}

export interface UpdateArgs extends ValueFlags {
  readonly environment: string
  readonly entry: string | undefined
  readonly id: string | undefined
  readonly name?: string | undefined
  readonly description?: string | undefined
}

export async function updateEnvSecret(args: UpdateArgs, deps: CliDeps): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const target = entryRef(args.entry, args.id)
  const changesValue = args.value !== undefined || args.valueFile !== undefined
  if (!changesValue && args.name === undefined && args.description === undefined) {
    throw new CofferError(
      'usage',
      'Nothing to change: give --value-file F, --value -, --name NEW or --description TEXT',
    )
  }
  const api = await deps.api()
  const entry = await findEntry(api, ref, target)
  const value = await readValue(args, deps, false)
  const updated = await api.patch<EnvironmentEntry>(environmentPath(ref, 'secrets', entry.id), {
    ...(args.name !== undefined && { name: args.name }),
    // Security: the only place the value leaves its wrapper: into the request body.
    ...(value !== undefined && { value: value.reveal() }),
    ...(args.description !== undefined && { description: args.description }),
  })
  deps.output.result(updated, () =>
    value === undefined
      ? `Updated secret ${updated.name} in ${formatEnvironmentRef(ref)}`
      : `Updated secret ${updated.name} in ${formatEnvironmentRef(ref)}: now version ${updated.version}`,
  )
}

export async function deleteEnvSecret(
  args: { environment: string; entry: string | undefined; id: string | undefined },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const shown = formatEnvironmentRef(ref)
  const api = await deps.api()
  const entry = await findEntry(api, ref, entryRef(args.entry, args.id))
  if (entry.type === 'linked') {
    throw new CofferError(
      'use_unlink',
      `${entry.name} is a linked global secret: unlink it with \`coffer env secret unlink ${entry.secretId ?? entry.name} ${shown}\` (the global secret stays)`,
    )
  }
  await api.delete(environmentPath(ref, 'secrets', entry.id))
  deps.output.done(`Deleted secret ${entry.name} from ${shown}`)
}

export interface GenerateArgs {
  readonly environment: string
  readonly name: string
  readonly length: number
  readonly alphabet: string
  readonly description?: string | undefined
}

export async function generateEnvSecret(args: GenerateArgs, deps: CliDeps): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const issued = await api.post<IssuedEntry>(environmentPath(ref, 'secrets'), {
    name: args.name,
    generate: { length: args.length, alphabet: args.alphabet },
    ...(args.description !== undefined && { description: args.description }),
  })
  showIssued(issued, `Generated ${issued.name} in ${formatEnvironmentRef(ref)}`, deps)
}

export async function rotateEnvSecret(
  args: { environment: string; entry: string | undefined; id: string | undefined },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const entry = await findEntry(api, ref, entryRef(args.entry, args.id))
  const issued = await api.post<IssuedEntry>(environmentPath(ref, 'secrets', entry.id, 'rotate'))
  showIssued(
    issued,
    `Rotated ${issued.name} in ${formatEnvironmentRef(ref)}: now version ${issued.version}`,
    deps,
  )
}

/** Security: the one place a value is printed, because the server hands it out only this once. */
function showIssued(issued: IssuedEntry, done: string, deps: CliDeps): void {
  const { value } = issued
  if (value === undefined) {
    throw new CofferError(
      'internal',
      `${done}, but the server returned no value: rotate it again to get one`,
    )
  }
  deps.output.result(issued, () => value)
  deps.output.notice(
    `${done} (id ${issued.id}). The value is shown once, now; it will not be shown again.`,
  )
}

/** A global secret of the environment's owner, by id or NAME (SPEC.md §1 "Scopes"). */
async function findGlobalSecret(
  api: ApiClient,
  ref: EnvironmentRef,
  secret: string,
): Promise<{ readonly id: string; readonly name: string }> {
  if (ID_PATTERN.test(secret)) return { id: secret, name: secret }
  const teamId = await teamIdOfOwner(api, ref.owner)
  const secrets = await api.list<Secret>('/secrets/', { teamId })
  return pickByRef(secrets, secret, {
    kind: 'global secret',
    where: teamId === undefined ? 'your personal scope' : `team ${ref.owner}`,
    listCommand: `coffer secret list${teamId === undefined ? '' : ` --team ${ref.owner}`}`,
  })
}

export async function linkSecret(
  args: { secret: string; environment: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const secret = await findGlobalSecret(api, ref, args.secret)
  const linked = await api.post<EnvironmentEntry>(environmentPath(ref, 'links'), {
    secretId: secret.id,
  })
  deps.output.result(
    linked,
    () => `Linked global secret ${linked.name} to ${formatEnvironmentRef(ref)}`,
  )
}

export async function unlinkSecret(
  args: { secret: string; environment: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const shown = formatEnvironmentRef(ref)
  const api = await deps.api()
  const linked = (await listEntries(api, ref)).filter((entry) => entry.type === 'linked')
  const byGlobalId = linked.find((entry) => entry.secretId === args.secret)
  const entry =
    byGlobalId ??
    pickByRef(linked, args.secret, {
      kind: 'linked secret',
      where: shown,
      listCommand: `coffer env secret list ${shown}`,
    })
  await api.delete(environmentPath(ref, 'links', entry.secretId ?? args.secret))
  deps.output.done(`Unlinked global secret ${entry.name} from ${shown} (the global secret stays)`)
}
