// AES-256-GCM sealing with an AAD that names the owning row (SPEC.md §2). A ciphertext copied
// to another row, a wrong key and tampering all fail the same way: an integrity error.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { CofferError } from '../domain/errors.js'

const ALGORITHM = 'aes-256-gcm'
const IV_BYTES = 12
const TAG_BYTES = 16
export const KEY_BYTES = 32

export type SealedKind = 'secret' | 'direct' | 'provider' | 'datakey' | 'snapshot'

export interface AadParts {
  readonly kind: SealedKind
  readonly rowId: string
  readonly ownerId: string
  readonly name: string
  readonly version: number | string
}

/** `coffer/v1|<kind>|<rowId>|<ownerId>|<name>|<version>` */
export function aadFor(parts: AadParts): string {
  return `coffer/v1|${parts.kind}|${parts.rowId}|${parts.ownerId}|${parts.name}|${String(parts.version)}`
}

/** Returns iv | tag | ciphertext, one buffer so one column holds it (FACTS.md: one BLOB read). */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

/** Opens what `seal` made with the same key and AAD, or throws `integrity_error`. */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  try {
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value too short')
    const iv = sealed.subarray(0, IV_BYTES)
    const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES)
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
  } catch (cause) {
    // Security: one answer for wrong key, wrong row and tampering; callers must not learn which.
    throw new CofferError(
      'integrity_error',
      'Stored data failed its integrity check; the database may have been modified',
      { cause },
    )
  }
}
