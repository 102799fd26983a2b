// Bearer tokens (SPEC.md §2): 256 random bits, shown once, stored only as SHA-256.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export type TokenPrefix = 'cfp_' | 'cft_'

export interface IssuedToken {
  /** Security: the only copy of the secret string; return it to the caller once, never store it. */
  readonly token: string
  readonly hash: string
}

/** `prefix` + 43 base64url characters (32 random bytes). */
export function issueToken(prefix: TokenPrefix): IssuedToken {
  const token = prefix + randomBytes(32).toString('base64url')
  return { token, hash: hashToken(token) }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Security: constant-time comparison of two hex digests of equal length. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right)
}

/** A value derived from a session token, for the web UI's CSRF header: unforgeable without it. */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`coffer/csrf|${sessionToken}`, 'utf8').digest('base64url')
}

export function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}
