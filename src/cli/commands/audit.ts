// `coffer audit` and `coffer audit verify` (SPEC.md §4): read the audit trail of owners you
// administer, and replay one owner's hash chain to find the first broken link.
import { createHash } from 'node:crypto'
import { verifyAuditChain, type AuditEvent } from '../../domain/audit.js'
import { CofferError } from '../../domain/errors.js'
import type { CliDeps } from '../deps.js'
import { formatTable, formatTime } from '../output.js'

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

export interface AuditArgs {
  readonly owner: string | undefined
  readonly action: string | undefined
  readonly since: string | undefined
  readonly limit: number
}

/** The owner a command speaks for: --owner, else --team, else (when `required`) yourself. */
async function ownerOf(
  args: { owner: string | undefined },
  deps: CliDeps,
  required: boolean,
): Promise<string | undefined> {
  if (args.owner !== undefined) return args.owner
  if (deps.team !== undefined) return deps.team
  if (!required) return undefined
  const api = await deps.api()
  const me = await api.get<{ user: { username: string } }>('/me')
  return me.user.username
}

export async function listAudit(args: AuditArgs, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const owner = await ownerOf(args, deps, false)
  const reply = await api.request<AuditEvent[]>('GET', '/audit', {
    query: { owner, action: args.action, since: args.since, limit: args.limit },
  })
  const events = reply.data
  deps.output.result(events, () =>
    formatTable(events, [
      { header: 'AT', cell: (e) => formatTime(e.at) },
      { header: 'OWNER', cell: (e) => e.owner },
      { header: 'ACTOR', cell: (e) => e.actor.name ?? e.actor.kind },
      { header: 'ACTION', cell: (e) => e.action },
      { header: 'OUTCOME', cell: (e) => e.outcome },
      { header: 'TARGET', cell: (e) => describeTarget(e.target) },
    ]),
  )
  if (reply.meta?.nextCursor && !deps.output.json) {
    deps.output.notice(
      `Showing the newest ${events.length}; use --limit (up to 200) or --since to see others.`,
    )
  }
}

export async function verifyAudit(
  args: { owner: string | undefined },
  deps: CliDeps,
): Promise<void> {
  const api = await deps.api()
  const owner = await ownerOf(args, deps, true)
  const events = await api.list<AuditEvent>('/audit', { owner, limit: 200 })
  const verdict = verifyAuditChain(events, sha256Hex)
  if (!verdict.ok) {
    throw new CofferError(
      'integrity_error',
      `The audit chain of ${owner ?? ''} is broken at event ${verdict.brokenAt}: ${verdict.reason}. ${verdict.count} events before it verify.`,
    )
  }
  deps.output.result(
    { owner, events: verdict.count, intact: true },
    () => `The audit chain of ${owner ?? ''} is intact: ${verdict.count} events verified.`,
  )
}

function describeTarget(target: Readonly<Record<string, unknown>>): string {
  return Object.entries(target)
    .filter(([key]) => !key.endsWith('Id'))
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ')
}
