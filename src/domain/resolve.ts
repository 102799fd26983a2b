// Pure: decides which entry supplies each name (SPEC.md §1 "Runtime precedence") and applies an
// app's declared requirements. Values stay sealed until the services layer opens the winners,
// so no plaintext passes through here.
import type { Manifest } from './manifest.js'
import type { Entry, EntrySource } from './types.js'

/** Higher wins: variables < linked (and providers) < direct. */
export const PRECEDENCE: Readonly<Record<EntrySource, number>> = {
  variable: 0,
  linked: 1,
  provider: 1,
  direct: 2,
}

export interface Resolution {
  /** The winning entry per name, in name order. */
  readonly winners: ReadonlyMap<string, Entry>
  /** Entries that lost to a winner of the same name (for `coffer explain`), by name. */
  readonly shadowed: ReadonlyMap<string, readonly Entry[]>
  /** Required by the manifest, supplied by nothing, in manifest order. */
  readonly missing: readonly string[]
}

/** Ties between equal ranks (possible only in data that bypassed the conflict rules) go to the
 *  smaller entry id, so the result never depends on input order. */
function beats(challenger: Entry, current: Entry): boolean {
  const rank = PRECEDENCE[challenger.source] - PRECEDENCE[current.source]
  return rank !== 0 ? rank > 0 : challenger.id < current.id
}

export function resolveEnvironment(entries: readonly Entry[], manifest?: Manifest): Resolution {
  const winners = new Map<string, Entry>()
  for (const entry of entries) {
    const current = winners.get(entry.name)
    if (!current || beats(entry, current)) winners.set(entry.name, entry)
  }
  const shadowed = new Map<string, Entry[]>()
  for (const entry of entries) {
    if (winners.get(entry.name) === entry) continue
    shadowed.set(entry.name, [...(shadowed.get(entry.name) ?? []), entry])
  }
  for (const losers of shadowed.values()) losers.sort((a, b) => (beats(a, b) ? -1 : 1))
  const sorted = new Map([...winners].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  if (!manifest) return { winners: sorted, shadowed, missing: [] }
  const declared = new Set(manifest.secrets.map((requirement) => requirement.key))
  const wanted = new Map([...sorted].filter(([name]) => declared.has(name)))
  const missing = manifest.secrets
    .filter((requirement) => !requirement.optional && !wanted.has(requirement.key))
    .map((requirement) => requirement.key)
  return { winners: wanted, shadowed, missing }
}
