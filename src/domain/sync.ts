// Pure: whether the consumers of an environment have seen its changes (SPEC.md §1 "Runtime
// tokens and sync"). Times come in as ISO strings; the caller passes `now`.

/** A consumer counts for sync when it resolved within this window. */
export const SYNC_WINDOW_MS = 7 * 24 * 60 * 60 * 1000

export interface ConsumerSeen {
  readonly lastResolvedAt: string
  readonly lastResolvedRevision: number
}

/** The consumers that count for sync: those that resolved in the last 7 days. */
export function recentConsumers<T extends ConsumerSeen>(consumers: readonly T[], now: Date): T[] {
  const since = now.getTime() - SYNC_WINDOW_MS
  return consumers.filter((consumer) => Date.parse(consumer.lastResolvedAt) >= since)
}

/** The start of the sync window, for stores that filter by time. */
export const syncWindowStart = (now: Date): string =>
  new Date(now.getTime() - SYNC_WINDOW_MS).toISOString()

/** An entry is synced when every recent consumer's last resolve saw a revision at least the one
 *  at which the entry last changed; `null` when no consumer resolved recently. */
export function entrySynced(
  entryUpdatedRevision: number,
  consumers: readonly ConsumerSeen[],
  now: Date,
): boolean | null {
  const recent = recentConsumers(consumers, now)
  if (recent.length === 0) return null
  return recent.every((consumer) => consumer.lastResolvedRevision >= entryUpdatedRevision)
}

/** A consumer is synced when its last resolve saw the environment's current revision: every
 *  change that can alter resolve moves the revision (deletes and unlinks too, which leave no
 *  entry behind to compare with), so nothing newer than what it holds exists. */
export const consumerSynced = (consumer: ConsumerSeen, currentRevision: number): boolean =>
  consumer.lastResolvedRevision >= currentRevision

/** Required keys of stored requirements that no entry supplies (for `GET …/status`). */
export function missingRequired(
  requirements: readonly { readonly key: string; readonly optional: boolean }[],
  suppliedNames: ReadonlySet<string>,
): string[] {
  return requirements
    .filter((requirement) => !requirement.optional && !suppliedNames.has(requirement.key))
    .map((requirement) => requirement.key)
}
