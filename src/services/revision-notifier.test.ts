import { describe, expect, it } from 'vitest'
import type { RevisionChange, RevisionListener, Store } from '../store/store.js'
import { createRevisionNotifier } from './revision-notifier.js'

const ENV = 'cenvironment0000000000001'

/** The two things the notifier uses of a Store: revisions and their notifications. */
function fakeStore(initial: number) {
  let revision = initial
  let reads = 0
  const listeners = new Set<RevisionListener>()
  const store = {
    findEnvironmentById: (id: string) => {
      reads += 1
      return Promise.resolve(id === ENV ? { id, revision } : undefined)
    },
    watchRevisions: (listener: RevisionListener) => {
      listeners.add(listener)
      return Promise.resolve(() => listeners.delete(listener))
    },
  } as unknown as Store
  return {
    store,
    get reads() {
      return reads
    },
    move(to: number) {
      revision = to
      const change: RevisionChange = { environmentId: ENV, revision: to }
      for (const listener of listeners) listener(change)
    },
    lost() {
      for (const listener of listeners) listener(null)
    },
    /** A move committed elsewhere whose notification never arrives. */
    silently(to: number) {
      revision = to
    },
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('createRevisionNotifier', () => {
  it('answers at once when the known revision already exceeds `after`', async () => {
    const db = fakeStore(5)
    const notifier = createRevisionNotifier(db.store)
    await notifier.start()
    await expect(
      notifier.waitFor({ environmentId: ENV, after: 4, known: 5, timeoutMs: 10_000 }),
    ).resolves.toBe(5)
    expect(notifier.waiting).toBe(0)
  })

  it('wakes a waiter on a move past `after`, ignoring moves of other environments', async () => {
    const db = fakeStore(3)
    const notifier = createRevisionNotifier(db.store)
    await notifier.start()
    const waiting = notifier.waitFor({ environmentId: ENV, after: 3, known: 3, timeoutMs: 10_000 })
    await tick()
    expect(notifier.waiting).toBe(1)
    const started = Date.now()
    db.move(4)
    await expect(waiting).resolves.toBe(4)
    expect(Date.now() - started).toBeLessThan(50)
    expect(notifier.waiting).toBe(0)
  })

  it('reads the database once at start and once at the timeout, never in between', async () => {
    const db = fakeStore(3)
    const notifier = createRevisionNotifier(db.store)
    await notifier.start()
    const waiting = notifier.waitFor({ environmentId: ENV, after: 3, known: 3, timeoutMs: 200 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(db.reads).toBe(1)
    await expect(waiting).resolves.toBe(3)
    expect(db.reads).toBe(2)
  })

  it('catches a move committed between the caller’s read and registering', async () => {
    const db = fakeStore(3)
    const notifier = createRevisionNotifier(db.store)
    await notifier.start()
    db.silently(4) // the caller read 3; 4 committed before the waiter existed
    await expect(
      notifier.waitFor({ environmentId: ENV, after: 3, known: 3, timeoutMs: 10_000 }),
    ).resolves.toBe(4)
  })

  it('re-reads when notifications may have been lost', async () => {
    const db = fakeStore(3)
    const notifier = createRevisionNotifier(db.store)
    await notifier.start()
    const waiting = notifier.waitFor({ environmentId: ENV, after: 3, known: 3, timeoutMs: 10_000 })
    await tick()
    db.silently(7)
    db.lost()
    await expect(waiting).resolves.toBe(7)
  })

  it('releases a waiter whose client went away', async () => {
    const db = fakeStore(3)
    const notifier = createRevisionNotifier(db.store)
    await notifier.start()
    const controller = new AbortController()
    const waiting = notifier.waitFor({
      environmentId: ENV,
      after: 3,
      known: 3,
      timeoutMs: 10_000,
      signal: controller.signal,
    })
    await tick()
    expect(notifier.waiting).toBe(1)
    controller.abort()
    await expect(waiting).resolves.toBe(3)
    expect(notifier.waiting).toBe(0)
  })

  it('releases every waiter at shutdown and answers later calls at once', async () => {
    const db = fakeStore(3)
    const notifier = createRevisionNotifier(db.store)
    await notifier.start()
    const waiters = [1, 2, 3].map(() =>
      notifier.waitFor({ environmentId: ENV, after: 3, known: 3, timeoutMs: 10_000 }),
    )
    await tick()
    expect(notifier.waiting).toBe(3)
    await notifier.close()
    await expect(Promise.all(waiters)).resolves.toEqual([3, 3, 3])
    expect(notifier.waiting).toBe(0)
    await expect(
      notifier.waitFor({ environmentId: ENV, after: 3, known: 3, timeoutMs: 10_000 }),
    ).resolves.toBe(3)
  })
})
