// Ids shaped `^c[a-z0-9]{24}$` (SPEC.md §3): 'c', 8 base-36 digits of the millisecond clock
// (so ids sort by creation), then 16 random base-36 digits (~82 bits).
import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'

export function newId(now: number = Date.now()): string {
  const time = now.toString(36).padStart(8, '0').slice(-8)
  const random = randomBytes(16)
  let tail = ''
  // 256 % 36 = 4: the bias towards the first 4 digits is 1/64 per character, irrelevant for ids
  // that are unique by time plus 82 bits and never used as secrets.
  for (const byte of random) tail += ALPHABET.charAt(byte % 36)
  return `c${time}${tail}`
}

export const ID_PATTERN = /^c[a-z0-9]{24}$/
