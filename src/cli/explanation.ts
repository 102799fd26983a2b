// Pure: `coffer explain`'s answer, computed from an environment's listings with the domain's own
// resolver, so the CLI explains exactly the precedence `resolve` applies (SPEC.md §1 "Runtime
// precedence", "Requirements"). Names and ids only: listings carry no secret values.
import type { Manifest, Requirement } from '../domain/manifest.js'
import { resolveEnvironment } from '../domain/resolve.js'
import type { Entry, EntrySource } from '../domain/types.js'

/** The fields of `GET …/secrets` and `GET …/variables` items that explaining needs. */
export interface ListedSecret {
  readonly id: string
  readonly name: string
  readonly type: 'direct' | 'linked'
  readonly secretId?: string | undefined
}
export interface ListedVariable {
  readonly id: string
  readonly name: string
}
/** `GET …/providers`: an attached connection and the fixed names it injects (SPEC.md §1.5). */
export interface ListedProvider {
  readonly id: string
  readonly connectionId: string
  readonly provider: string
  readonly names: readonly string[]
}

export interface ExplainedEntry {
  readonly source: EntrySource
  /** The entry's id in the environment (direct secret, link or variable). */
  readonly id: string
  /** The global secret behind a linked entry. */
  readonly secretId?: string
  /** The connection behind a provider entry, and which provider it is. */
  readonly connectionId?: string
  readonly provider?: string
}

/**
 * - `injected`: the winner reaches the process.
 * - `filtered`: set, but the stored requirements do not declare it, so it is not injected.
 * - `missing`: required by the stored requirements and supplied by nothing (blocks `run`).
 * - `not_set`: supplied by nothing, and nothing requires it.
 */
export type ExplainStatus = 'injected' | 'filtered' | 'missing' | 'not_set'

export interface ExplainedName {
  readonly name: string
  readonly status: ExplainStatus
  readonly winner: ExplainedEntry | null
  /** Entries of the same name that lose to the winner, strongest first. */
  readonly shadowed: readonly ExplainedEntry[]
  /** How the stored requirements declare the name; null when they do not (or there are none). */
  readonly requirement: 'required' | 'optional' | null
}

export interface Explanation {
  readonly hasRequirements: boolean
  readonly names: readonly ExplainedName[]
}

/** Every name asked for, in the order given; with none, every name that is set or declared. */
export function explainEnvironment(
  listings: {
    readonly secrets: readonly ListedSecret[]
    readonly variables: readonly ListedVariable[]
    readonly providers?: readonly ListedProvider[]
    readonly requirements: readonly Requirement[] | null
  },
  asked: readonly string[] = [],
): Explanation {
  const linkedSecret = new Map<string, string>()
  const attached = new Map<string, ListedProvider>()
  const entries: Entry[] = [
    ...listings.variables.map((v): Entry => ({ name: v.name, source: 'variable', id: v.id })),
    ...listings.secrets.map((s): Entry => {
      if (s.secretId !== undefined) linkedSecret.set(s.id, s.secretId)
      return { name: s.name, source: s.type, id: s.id }
    }),
    ...(listings.providers ?? []).flatMap((p) => {
      attached.set(p.id, p)
      return p.names.map((name): Entry => ({ name, source: 'provider', id: p.id }))
    }),
  ]
  // An empty list declares nothing (the server stores it as none), so it filters nothing.
  const manifest: Manifest | undefined =
    listings.requirements === null || listings.requirements.length === 0
      ? undefined
      : { secrets: listings.requirements }
  const everything = resolveEnvironment(entries)
  const applied = resolveEnvironment(entries, manifest)
  const declared = new Map((listings.requirements ?? []).map((r) => [r.key, r]))

  const describe = (entry: Entry): ExplainedEntry => {
    const secretId = entry.source === 'linked' ? linkedSecret.get(entry.id) : undefined
    const connection = entry.source === 'provider' ? attached.get(entry.id) : undefined
    return {
      source: entry.source,
      id: entry.id,
      ...(secretId !== undefined && { secretId }),
      ...(connection && { connectionId: connection.connectionId, provider: connection.provider }),
    }
  }
  const names =
    asked.length > 0
      ? [...new Set(asked)]
      : [...new Set([...everything.winners.keys(), ...declared.keys()])].sort()
  return {
    hasRequirements: manifest !== undefined,
    names: names.map((name): ExplainedName => {
      const winner = everything.winners.get(name)
      const requirement = declared.get(name)
      const status: ExplainStatus = winner
        ? applied.winners.has(name)
          ? 'injected'
          : 'filtered'
        : applied.missing.includes(name)
          ? 'missing'
          : 'not_set'
      return {
        name,
        status,
        winner: winner ? describe(winner) : null,
        shadowed: (everything.shadowed.get(name) ?? []).map(describe),
        requirement: requirement ? (requirement.optional ? 'optional' : 'required') : null,
      }
    }),
  }
}

const SOURCE_LABEL: Readonly<Record<EntrySource, string>> = {
  direct: 'direct secret',
  linked: 'linked secret',
  variable: 'variable',
  provider: 'provider',
}

export const describeEntry = (entry: ExplainedEntry): string =>
  entry.provider === undefined
    ? `${SOURCE_LABEL[entry.source]} ${entry.id}`
    : `${SOURCE_LABEL[entry.source]} ${entry.provider} ${entry.id}`

/** What happens to the name at run time, in words. */
export function describeStatus(explained: ExplainedName): string {
  switch (explained.status) {
    case 'injected':
      return explained.requirement === null ? 'injected' : `injected (${explained.requirement})`
    case 'filtered':
      return 'not injected: not in the requirements'
    case 'missing':
      return 'MISSING: required'
    case 'not_set':
      return explained.requirement === 'optional' ? 'not set (optional)' : 'not set'
  }
}
