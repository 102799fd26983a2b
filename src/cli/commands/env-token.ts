// `coffer env token …`: runtime tokens of one environment (SPEC.md §1 "Runtime tokens", §3.6).
// A token string is shown once, by create and rotate, on stdout (so it can be piped into a
// secret store); only its SHA-256 is kept by the server, so it cannot be shown again.
import { CofferError } from '../../domain/errors.js'
import { formatDuration } from '../duration.js'
import {
  environmentPath,
  formatEnvironmentRef,
  parseEnvironmentRef,
  type EnvironmentRef,
} from '../environment-ref.js'
import type { ApiClient } from '../api-client.js'
import type { CliDeps } from '../deps.js'
import { formatTable, formatTime } from '../output.js'
import { entryRef, pickByRef } from './env.js'

export interface RuntimeToken {
  readonly id: string
  readonly name: string
  /** Only in the create and rotate answers. */
  readonly token?: string
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly lastUsedAt: string | null
  readonly lastResolvedRevision: number | null
}

/** The route answers every token at once (an environment has a handful), without paging. */
const listAll = (api: ApiClient, ref: EnvironmentRef): Promise<RuntimeToken[]> =>
  api.get<RuntimeToken[]>(environmentPath(ref, 'tokens'))

async function findToken(api: ApiClient, ref: EnvironmentRef, token: string) {
  const shown = formatEnvironmentRef(ref)
  return pickByRef(await listAll(api, ref), token, {
    kind: 'token',
    where: shown,
    listCommand: `coffer env token list ${shown}`,
  })
}

/** Security: the one place a token string is printed; the server hands it out only this once. */
function showIssued(issued: RuntimeToken, done: string, deps: CliDeps): void {
  const { token } = issued
  if (token === undefined) {
    throw new CofferError(
      'internal',
      `${done}, but the server returned no token string: rotate it to get one`,
    )
  }
  deps.output.result(issued, () => token)
  deps.output.notice(
    `${done} (id ${issued.id}). The token is shown once, now; it will not be shown again. Give it to the app as COFFER_TOKEN.`,
  )
}

export async function createToken(
  args: { environment: string; name: string; expiresInSeconds: number | undefined },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const issued = await api.post<RuntimeToken>(environmentPath(ref, 'tokens'), {
    name: args.name,
    ...(args.expiresInSeconds !== undefined && { expiresInSeconds: args.expiresInSeconds }),
  })
  const expiry =
    issued.expiresAt === null ? 'does not expire' : `expires ${formatTime(issued.expiresAt)}`
  showIssued(
    issued,
    `Created runtime token ${issued.name} for ${formatEnvironmentRef(ref)}; it ${expiry}`,
    deps,
  )
}

export async function listTokens(args: { environment: string }, deps: CliDeps): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const tokens = await listAll(api, ref)
  if (tokens.length === 0 && !deps.output.json) {
    const shown = formatEnvironmentRef(ref)
    deps.output.notice(
      `No runtime tokens for ${shown} yet. Create one with \`coffer env token create ${shown} --name NAME\`.`,
    )
    return
  }
  deps.output.result(tokens, () =>
    formatTable(tokens, [
      { header: 'NAME', cell: (token) => token.name },
      { header: 'ID', cell: (token) => token.id },
      { header: 'CREATED', cell: (token) => formatTime(token.createdAt) },
      { header: 'EXPIRES', cell: (token) => formatTime(token.expiresAt) },
      { header: 'LAST USED', cell: (token) => formatTime(token.lastUsedAt) },
      { header: 'LAST REVISION', cell: (token) => token.lastResolvedRevision },
    ]),
  )
}

export async function rotateToken(
  args: {
    environment: string
    entry: string | undefined
    id: string | undefined
    graceSeconds: number | undefined
  },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const token = await findToken(api, ref, entryRef(args.entry, args.id))
  const issued = await api.post<RuntimeToken>(
    environmentPath(ref, 'tokens', token.id, 'rotate'),
    args.graceSeconds === undefined ? {} : { graceSeconds: args.graceSeconds },
  )
  const old =
    args.graceSeconds === undefined
      ? 'the old string stopped working'
      : `the old string keeps working for ${formatDuration(args.graceSeconds)}`
  showIssued(issued, `Rotated runtime token ${issued.name}; ${old}`, deps)
}

export async function revokeToken(
  args: { environment: string; entry: string | undefined; id: string | undefined },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const api = await deps.api()
  const token = await findToken(api, ref, entryRef(args.entry, args.id))
  await api.delete(environmentPath(ref, 'tokens', token.id))
  deps.output.done(`Revoked runtime token ${token.name} of ${formatEnvironmentRef(ref)}`)
}
