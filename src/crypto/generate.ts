// Generated secret values (SPEC.md §1 "Generated secrets"): uniform random characters drawn
// from node:crypto, for per-agent gateway tokens and webhook secrets.
import { randomInt } from 'node:crypto'
import { Redacted } from '../domain/redacted.js'

export const ALPHABETS = {
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  hex: '0123456789abcdef',
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
} as const

export type Alphabet = keyof typeof ALPHABETS

/** `length` characters of `alphabet`. Security: randomInt rejects biased draws, so every
 *  character is uniform over the alphabet. */
export function generateValue(length: number, alphabet: Alphabet): Redacted {
  const characters = ALPHABETS[alphabet]
  let value = ''
  for (let i = 0; i < length; i++) value += characters.charAt(randomInt(characters.length))
  return Redacted.of(value)
}
