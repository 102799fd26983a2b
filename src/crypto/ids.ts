// Ids shaped `^c[a-z0-9]{24}$` (SPEC.md §3): 'c', 8 base-36 digits of the millisecond clock
// (so ids sort by creation), then 16 random base-36 digits (~82 bits).
import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
// Random bytes are drawn 4 KiB at a time: one call per id cost ~4% of a resolve's CPU (every
// request makes a request id and an audit event id). Ids are not secrets; the bytes are still
// node:crypto's.
const POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let offset = 0

function randomTail(): Buffer {
  if (offset + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES)
    offset = 0
  }
  offset += 16
  return pool.subarray(offset - 16, offset)
}

export function newId(now: number = Date.now()): string {
  const time = now.toString(36).padStart(8, '0').slice(-8)
  const random = randomTail()
  let tail = ''
  // 256 % 36 = 4: the bias towards the first 4 digits is 1/64 per character, irrelevant for ids
  // that are unique by time plus 82 bits and never used as secrets.
  for (const byte of random) tail += ALPHABET.charAt(byte % 36)
  return `c${time}${tail}`
}

export const ID_PATTERN = /^c[a-z0-9]{24}$/
