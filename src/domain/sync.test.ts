import { describe, expect, it } from 'vitest'
import {
  SYNC_WINDOW_MS,
  consumerSynced,
  entrySynced,
  missingRequired,
  recentConsumers,
  syncWindowStart,
} from './sync.js'

const NOW = new Date('2026-11-23T12:00:00.000Z')
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString()
const seen = (revision: number, at = ago(60_000)) => ({
  lastResolvedAt: at,
  lastResolvedRevision: revision,
})
const DAY = 24 * 60 * 60 * 1000

describe('entrySynced', () => {
  it.each([
    ['no consumer at all', 5, [], null],
    ['only consumers older than 7 days', 5, [seen(1, ago(8 * DAY))], null],
    ['one consumer that saw the change', 5, [seen(5)], true],
    ['one consumer that saw a later revision', 5, [seen(9)], true],
    ['one consumer behind', 5, [seen(4)], false],
    ['one of two consumers behind', 5, [seen(7), seen(4)], false],
    ['a stale consumer behind is ignored', 5, [seen(7), seen(1, ago(8 * DAY))], true],
    ['a consumer exactly at the window edge counts', 5, [seen(4, ago(SYNC_WINDOW_MS))], false],
  ] as const)('%s', (_, revision, consumers, expected) => {
    expect(entrySynced(revision, consumers, NOW)).toBe(expected)
  })
})

describe('recentConsumers', () => {
  it('keeps consumers of the last 7 days only', () => {
    const recent = seen(1, ago(DAY))
    expect(recentConsumers([recent, seen(2, ago(7 * DAY + 1))], NOW)).toEqual([recent])
  })

  it('names the window start as an ISO time', () => {
    expect(syncWindowStart(NOW)).toBe(ago(SYNC_WINDOW_MS))
  })
})

describe('consumerSynced', () => {
  it.each([
    [3, 3, true],
    [4, 3, true],
    [2, 3, false],
  ])('a consumer at %i with the environment at %i: %s', (at, current, expected) => {
    expect(consumerSynced(seen(at), current)).toBe(expected)
  })
})

describe('missingRequired', () => {
  it('lists required keys no entry supplies, in declared order', () => {
    const requirements = [
      { key: 'B_KEY', optional: false },
      { key: 'A_KEY', optional: false },
      { key: 'OPTIONAL', optional: true },
      { key: 'PRESENT', optional: false },
    ]
    expect(missingRequired(requirements, new Set(['PRESENT']))).toEqual(['B_KEY', 'A_KEY'])
  })

  it('is empty without requirements', () => {
    expect(missingRequired([], new Set())).toEqual([])
  })
})
