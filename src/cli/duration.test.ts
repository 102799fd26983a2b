import { describe, expect, it } from 'vitest'
import { formatDuration, parseDurationSeconds } from './duration.js'

describe('parseDurationSeconds', () => {
  it.each([
    ['45', 45],
    ['45s', 45],
    ['30m', 1_800],
    ['1h', 3_600],
    ['30d', 2_592_000],
    ['2w', 1_209_600],
    [' 1h ', 3_600],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds)
  })

  it.each(['', '0', '0h', '-1h', '1.5h', '1y', 'h', '1 h', '1hh', '1H', '9999999999d'])(
    'refuses %j',
    (text) => {
      expect(parseDurationSeconds(text)).toBeUndefined()
    },
  )
})

describe('formatDuration', () => {
  it.each([
    [45, '45s'],
    [3_600, '1h'],
    [5_400, '90m'],
    [86_400, '1d'],
    [1_209_600, '2w'],
    [90_061, '90061s'],
  ])('shows %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })

  it('round-trips through parseDurationSeconds', () => {
    for (const seconds of [1, 59, 60, 3_599, 7_200, 86_400, 604_800, 1_000_000]) {
      expect(parseDurationSeconds(formatDuration(seconds))).toBe(seconds)
    }
  })
})
