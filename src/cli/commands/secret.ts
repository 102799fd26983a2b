// `coffer secret …`: global secrets of the personal scope, or of a team with --team (SPEC.md
// §3.2). Values come from a file, stdin or a hidden prompt and go only into a request body; the
// API never returns one, so nothing here can print one.
import { readFile } from 'node:fs/promises'
import { CofferError } from '../../domain/errors.js'
import { Redacted } from '../../domain/redacted.js'
import { apiPath, resolveTeamId, type ApiClient } from '../api-client.js'
import type { CliDeps } from '../deps.js'
import { formatFields, formatTable, formatTime } from '../output.js'
import { stripTrailingNewline } from '../prompt.js'

export interface Secret {
  readonly id: string
  readonly name: string
  readonly description: string | null
  readonly isFile: boolean
  readonly userId: string | null
  readonly teamId: string | null
  readonly version: number
  readonly createdAt: string
  readonly updatedAt: string
  readonly hint: string | null
}

export interface SecretVersion {
  readonly version: number
  readonly createdAt: string
  readonly createdBy: unknown
  readonly hint: string | null
}

/** SPEC.md §3: every id is `c` + 24 lowercase letters or digits; secret names are uppercase. */
const SECRET_ID = /^c[a-z0-9]{24}$/

const COMMAND_LINE_WARNING =
  'values on the command line are visible to other users in the process list and shell history; use --value-file or --value -'

interface Scope {
  readonly teamId: string | undefined
  /** For messages: "your personal scope" or "team acme". */
  readonly label: string
  /** For suggested commands: "" or " --team acme". */
  readonly flag: string
}

async function scopeOf(api: ApiClient, deps: CliDeps): Promise<Scope> {
  if (deps.team === undefined) return { teamId: undefined, label: 'your personal scope', flag: '' }
  return {
    teamId: await resolveTeamId(api, deps.team),
    label: `team ${deps.team}`,
    flag: ` --team ${deps.team}`,
  }
}

/** A secret by id, or by NAME within the scope (names are unique per owner). */
async function findSecret(api: ApiClient, ref: string, scope: Scope): Promise<Secret> {
  if (SECRET_ID.test(ref)) return api.get<Secret>(apiPath`/secrets/${ref}`)
  const secrets = await api.list<Secret>('/secrets/', { teamId: scope.teamId })
  const found = secrets.find((secret) => secret.name === ref)
  if (found) return found
  const shown = ref.length > 64 ? `${ref.slice(0, 64)}…` : ref
  throw new CofferError(
    'secret_not_found',
    `No secret named ${shown} in ${scope.label}. Run \`coffer secret list${scope.flag}\` to see the names.`,
    { param: 'secret' },
  )
}

export interface ValueFlags {
  readonly value?: string | undefined
  readonly valueFile?: string | undefined
}

/**
 * The value the flags name, or undefined when they name none. File secrets are sent as standard
 * base64 of the bytes (SPEC.md §1 "Values"); text is sent as it is, except that one trailing
 * newline from stdin is dropped.
 */
export async function readValue(
  flags: ValueFlags,
  deps: CliDeps,
  isFile: boolean,
): Promise<Redacted | undefined> {
  if (flags.value !== undefined && flags.valueFile !== undefined) {
    throw new CofferError('usage', 'Give the value one way: --value-file F, --value - or --value V')
  }
  if (flags.valueFile !== undefined) {
    const file = flags.valueFile
    const bytes = await readFile(file).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code ?? 'error'
      throw new CofferError('bad_request', `Cannot read the value file ${file} (${code})`, {
        param: '--value-file',
      })
    })
    return isFile ? Redacted.of(bytes.toString('base64')) : Redacted.of(utf8(bytes, file))
  }
  if (flags.value === '-') {
    if (deps.prompter.interactive)
      deps.output.notice('Reading the value from stdin; end with Ctrl-D.')
    const bytes = await deps.prompter.readStdin()
    return isFile
      ? Redacted.of(bytes.toString('base64'))
      : Redacted.of(stripTrailingNewline(utf8(bytes, 'stdin')))
  }
  if (flags.value !== undefined) {
    deps.output.warn(COMMAND_LINE_WARNING)
    return Redacted.of(isFile ? Buffer.from(flags.value, 'utf8').toString('base64') : flags.value)
  }
  return undefined
}

/** Decodes strictly, keeping a BOM: a value is stored byte for byte or not at all. */
function utf8(bytes: Buffer, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new CofferError(
      'invalid_value',
      `The value from ${source} is not UTF-8 text; add --file to store it as a file (base64)`,
      { param: 'value' },
    )
  }
}

const describeScope = (secret: Secret, scope: Scope): string =>
  secret.teamId === null
    ? 'personal'
    : scope.teamId === secret.teamId
      ? scope.label
      : `team (id ${secret.teamId})`

export async function listSecrets(_args: object, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const scope = await scopeOf(api, deps)
  const secrets = await api.list<Secret>('/secrets/', { teamId: scope.teamId })
  if (secrets.length === 0 && !deps.output.json) {
    deps.output.notice(
      `No secrets in ${scope.label} yet. Add one with \`coffer secret create${scope.flag} --name NAME --value-file FILE\`.`,
    )
    return
  }
  deps.output.result(secrets, () =>
    formatTable(secrets, [
      { header: 'NAME', cell: (secret) => secret.name },
      { header: 'ID', cell: (secret) => secret.id },
      { header: 'VERSION', cell: (secret) => secret.version },
      { header: 'HINT', cell: (secret) => secret.hint },
      { header: 'UPDATED', cell: (secret) => formatTime(secret.updatedAt) },
      { header: 'DESCRIPTION', cell: (secret) => secret.description },
    ]),
  )
}

export async function getSecret(args: { ref: string }, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const scope = await scopeOf(api, deps)
  const secret = await findSecret(api, args.ref, scope)
  deps.output.result(secret, () =>
    formatFields([
      ['name', secret.name],
      ['id', secret.id],
      ['owner', describeScope(secret, scope)],
      ['version', secret.version],
      ['hint', secret.hint],
      ['file', secret.isFile ? 'yes (base64)' : 'no'],
      ['description', secret.description],
      ['created', formatTime(secret.createdAt)],
      ['updated', formatTime(secret.updatedAt)],
    ]),
  )
}

export interface CreateArgs extends ValueFlags {
  readonly name: string
  readonly description?: string | undefined
  readonly isFile: boolean
}

export async function createSecret(args: CreateArgs, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const scope = await scopeOf(api, deps)
  const value = (await readValue(args, deps, args.isFile)) ?? (await promptValue(args, deps))
  const secret = await api.post<Secret>('/secrets/', {
    name: args.name,
    // Security: the only place the value leaves its wrapper: into the request body.
    value: value.reveal(),
    ...(args.description !== undefined && { description: args.description }),
    ...(scope.teamId !== undefined && { teamId: scope.teamId }),
    ...(args.isFile && { isFile: true }),
  })
  deps.output.result(
    secret,
    () =>
      `Created secret ${secret.name} in ${scope.label} (id ${secret.id}, version ${secret.version})`,
  )
}

async function promptValue(args: CreateArgs, deps: CliDeps): Promise<Redacted> {
  if (args.isFile) {
    throw new CofferError(
      'usage',
      '--file needs the file: give --value-file F or --value - (stdin)',
    )
  }
  if (!deps.prompter.interactive) {
    throw new CofferError(
      'usage',
      'No value given: give the value with --value-file F or --value -',
    )
  }
  return Redacted.of(await deps.prompter.askHidden(`Value for ${args.name} (hidden): `))
}

export interface UpdateArgs extends ValueFlags {
  readonly ref: string
  readonly name?: string | undefined
  readonly description?: string | undefined
}

export async function updateSecret(args: UpdateArgs, deps: CliDeps): Promise<void> {
  const changesValue = args.value !== undefined || args.valueFile !== undefined
  if (!changesValue && args.name === undefined && args.description === undefined) {
    throw new CofferError(
      'usage',
      'Nothing to change: give --value-file F, --value -, --name NEW or --description TEXT',
    )
  }
  const api = await deps.api()
  const scope = await scopeOf(api, deps)
  const secret = await findSecret(api, args.ref, scope)
  // A file secret's new value is a file too, so it is encoded the same way.
  const value = await readValue(args, deps, secret.isFile)
  const updated = await api.patch<Secret>(apiPath`/secrets/${secret.id}`, {
    ...(args.name !== undefined && { name: args.name }),
    // Security: the only place the value leaves its wrapper: into the request body.
    ...(value !== undefined && { value: value.reveal() }),
    ...(args.description !== undefined && { description: args.description }),
  })
  deps.output.result(updated, () =>
    value === undefined
      ? `Updated secret ${updated.name}`
      : `Updated secret ${updated.name}: now version ${updated.version}`,
  )
}

export async function deleteSecret(args: { ref: string }, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const secret = await findSecret(api, args.ref, await scopeOf(api, deps))
  await api.delete(apiPath`/secrets/${secret.id}`)
  deps.output.done(`Deleted secret ${secret.name}`)
}

export async function listVersions(args: { ref: string }, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const secret = await findSecret(api, args.ref, await scopeOf(api, deps))
  // At most 20 versions are kept (SPEC.md §1), so one page holds them all.
  const versions = await api.get<SecretVersion[]>(apiPath`/secrets/${secret.id}/versions`)
  deps.output.result(versions, () =>
    formatTable(versions, [
      { header: 'VERSION', cell: (version) => version.version },
      { header: 'CREATED', cell: (version) => formatTime(version.createdAt) },
      { header: 'CREATED BY', cell: (version) => version.createdBy },
      { header: 'HINT', cell: (version) => version.hint },
    ]),
  )
}

export async function rollbackSecret(
  args: { ref: string; version: number },
  deps: CliDeps,
): Promise<void> {
  const api = await deps.api()
  const secret = await findSecret(api, args.ref, await scopeOf(api, deps))
  const current = await api.post<Secret>(apiPath`/secrets/${secret.id}/rollback`, {
    version: args.version,
  })
  deps.output.result(
    current,
    () =>
      `Rolled back ${current.name} to the value of version ${args.version}: now version ${current.version}`,
  )
}
