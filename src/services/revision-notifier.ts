// Long polls of an environment's revision (SPEC.md §3.7 `GET …/revision`), woken by one shared
// notifier instead of each request polling the database. The store tells it about every revision
// move after its transaction commits (and, on PostgreSQL, about other replicas' moves through
// LISTEN/NOTIFY); a waiter reads the revision once when it starts, once more only if
// notifications may have been lost, and once at its timeout.
import type { RevisionChange, Store } from '../store/store.js'

export const MAX_WAIT_SECONDS = 60

interface Waiter {
  readonly after: number
  /** A committed revision of the environment, or null: re-read it. */
  readonly wake: (revision: number | null) => void
}

export interface RevisionNotifier {
  /** Subscribes to the store; resolves once listening (before the server accepts requests). */
  start(): Promise<void>
  /** The environment's revision as soon as it exceeds `after`, or the current one after
   *  `timeoutMs`, on `signal` (the client went away) or at shutdown. `known` is the revision
   *  the caller read. */
  waitFor(options: {
    readonly environmentId: string
    readonly after: number
    readonly known: number
    readonly timeoutMs: number
    readonly signal?: AbortSignal | undefined
  }): Promise<number>
  /** Releases every waiter (each answers with the revision it knows) and stops listening. */
  close(): Promise<void>
  /** Waiters now waiting, for tests and metrics. */
  readonly waiting: number
}

export function createRevisionNotifier(store: Store): RevisionNotifier {
  const waiters = new Map<string, Set<Waiter>>()
  let count = 0
  let closed = false
  let unsubscribe: (() => void) | undefined
  const releases = new Set<() => void>()

  function onChange(change: RevisionChange | null): void {
    if (change === null) {
      for (const set of waiters.values()) for (const waiter of set) waiter.wake(null)
      return
    }
    const set = waiters.get(change.environmentId)
    if (!set) return
    for (const waiter of set) if (change.revision > waiter.after) waiter.wake(change.revision)
  }

  return {
    async start() {
      unsubscribe ??= await store.watchRevisions(onChange)
    },

    waitFor({ environmentId, after, known, timeoutMs, signal }) {
      const read = async () => (await store.findEnvironmentById(environmentId))?.revision
      if (known > after || timeoutMs <= 0 || closed) return Promise.resolve(known)
      return new Promise<number>((resolve) => {
        let last = known
        let done = false
        const finish = (revision: number) => {
          if (done) return
          done = true
          clearTimeout(timer)
          signal?.removeEventListener('abort', abort)
          releases.delete(release)
          const set = waiters.get(environmentId)
          set?.delete(waiter)
          if (set?.size === 0) waiters.delete(environmentId)
          count -= 1
          resolve(revision)
        }
        const reread = () => {
          read().then(
            (revision) => {
              if (revision === undefined) finish(last)
              else {
                last = Math.max(last, revision)
                if (revision > after) finish(revision)
              }
            },
            () => {
              finish(last)
            },
          )
        }
        const waiter: Waiter = {
          after,
          wake: (revision) => {
            if (revision === null) reread()
            else finish(revision)
          },
        }
        const abort = () => {
          finish(last)
        }
        const release = () => {
          finish(last)
        }
        // Registered before the re-read below, so a move committed in between is not missed.
        let set = waiters.get(environmentId)
        if (!set) waiters.set(environmentId, (set = new Set()))
        set.add(waiter)
        count += 1
        releases.add(release)
        const timer = setTimeout(() => {
          read().then(
            (revision) => {
              finish(revision ?? last)
            },
            () => {
              finish(last)
            },
          )
        }, timeoutMs)
        signal?.addEventListener('abort', abort, { once: true })
        if (signal?.aborted) {
          abort()
          return
        }
        // `known` was read before registering: read once more to close that gap.
        reread()
      })
    },

    async close() {
      closed = true
      for (const release of [...releases]) release()
      unsubscribe?.()
      unsubscribe = undefined
      await Promise.resolve()
    },

    get waiting() {
      return count
    },
  }
}
