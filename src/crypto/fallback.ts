// `coffer run --fallback FILE` (SPEC.md §4): the last successful resolve, sealed with AES-256-GCM
// under a key derived (HKDF-SHA-256) from the token that made it, so the file is useless without
// that token and never holds a value in plain text. The AAD binds it to the server and the
// environment: a snapshot of one environment cannot be run as another.
import { hkdfSync, randomBytes } from 'node:crypto'
import { CofferError } from '../domain/errors.js'
import { KEY_BYTES, open, seal } from './envelope.js'

const FORMAT = 'coffer-fallback/v1'
const SALT_BYTES = 16

export interface FallbackSnapshot {
  readonly server: string
  /** `owner/name`. */
  readonly environment: string
  readonly revision: number
  readonly savedAt: string
  /** Security: plaintext values; they exist only in memory. */
  readonly values: Readonly<Record<string, string>>
  readonly sources: Readonly<Record<string, string>>
}

const aadOf = (server: string, environment: string): string =>
  `coffer/v1|fallback|${server}|${environment}`

function keyFor(token: string, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(token, 'utf8'), salt, FORMAT, KEY_BYTES))
}

/** The file's text: JSON with the format, the salt and the sealed snapshot (base64). */
export function sealFallback(token: string, snapshot: FallbackSnapshot): string {
  const salt = randomBytes(SALT_BYTES)
  const plaintext = Buffer.from(JSON.stringify(snapshot), 'utf8')
  const sealed = seal(keyFor(token, salt), plaintext, aadOf(snapshot.server, snapshot.environment))
  return `${JSON.stringify({ format: FORMAT, salt: salt.toString('base64'), sealed: sealed.toString('base64') })}\n`
}

/** Opens a fallback file for `server` and `environment` with `token`.
 *  @throws CofferError('invalid') when it is not a fallback file, or was made with another
 *  token, server or environment (one answer for all: the file reveals nothing). */
export function openFallback(
  token: string,
  text: string,
  expected: { readonly server: string; readonly environment: string },
): FallbackSnapshot {
  const unusable = (cause?: unknown) =>
    new CofferError(
      'invalid',
      `The fallback file does not hold a snapshot of ${expected.environment} on ${expected.server} made with this token`,
      { cause },
    )
  let file: { format?: unknown; salt?: unknown; sealed?: unknown }
  try {
    file = JSON.parse(text) as typeof file
  } catch (cause) {
    throw unusable(cause)
  }
  if (file.format !== FORMAT || typeof file.salt !== 'string' || typeof file.sealed !== 'string')
    throw unusable()
  try {
    const plaintext = open(
      keyFor(token, Buffer.from(file.salt, 'base64')),
      Buffer.from(file.sealed, 'base64'),
      aadOf(expected.server, expected.environment),
    )
    return JSON.parse(plaintext.toString('utf8')) as FallbackSnapshot
  } catch (cause) {
    throw unusable(cause)
  }
}
