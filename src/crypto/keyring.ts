// Master keys and per-owner data keys (SPEC.md §2 envelope). Master keys only wrap data keys;
// values are sealed with the owner's data key, so rotating the master key rewraps, never re-encrypts.
import { randomBytes } from 'node:crypto'
import { CofferError } from '../domain/errors.js'
import { KEY_BYTES, aadFor, open, seal } from './envelope.js'

export interface Keyring {
  readonly currentId: string
  readonly keys: ReadonlyMap<string, Buffer>
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
export const DEFAULT_KEY_ID = 'k1'

/** Parses `COFFER_MASTER_KEYS` (`id:base64,…`, first is current) or one `COFFER_MASTER_KEY`. */
export function parseKeyring(spec: { keys?: string; key?: string }, source: string): Keyring {
  if (spec.keys !== undefined && spec.keys.trim() !== '') {
    const keys = new Map<string, Buffer>()
    for (const part of spec.keys.split(',')) {
      const separator = part.indexOf(':')
      const id = part.slice(0, separator).trim()
      if (separator < 1 || !KEY_ID.test(id)) {
        throw invalidKey(
          source,
          'each entry must be id:base64, with an id of letters, digits, _ or -',
        )
      }
      if (keys.has(id)) throw invalidKey(source, `key id ${id} appears twice`)
      keys.set(id, decodeKey(part.slice(separator + 1).trim(), source))
    }
    const currentId = [...keys.keys()][0]
    if (currentId === undefined) throw invalidKey(source, 'no key given')
    return { currentId, keys }
  }
  if (spec.key !== undefined && spec.key.trim() !== '') {
    return {
      currentId: DEFAULT_KEY_ID,
      keys: new Map([[DEFAULT_KEY_ID, decodeKey(spec.key.trim(), source)]]),
    }
  }
  throw invalidKey(source, 'no key given')
}

/** A new master key in the keyring syntax, for a generated key file. */
export function generateMasterKeySpec(id = DEFAULT_KEY_ID): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES)
}

const dataKeyAad = (ownerId: string, masterKeyId: string): string =>
  aadFor({ kind: 'datakey', rowId: ownerId, ownerId, name: masterKeyId, version: 1 })

export function wrapDataKey(
  keyring: Keyring,
  ownerId: string,
  dataKey: Buffer,
): { masterKeyId: string; wrappedKey: Buffer } {
  const masterKey = keyring.keys.get(keyring.currentId)
  if (!masterKey)
    throw new CofferError('internal', 'The current master key is missing from the keyring')
  return {
    masterKeyId: keyring.currentId,
    wrappedKey: seal(masterKey, dataKey, dataKeyAad(ownerId, keyring.currentId)),
  }
}

export function unwrapDataKey(
  keyring: Keyring,
  ownerId: string,
  masterKeyId: string,
  wrappedKey: Buffer,
): Buffer {
  const masterKey = keyring.keys.get(masterKeyId)
  if (!masterKey) {
    throw new CofferError(
      'integrity_error',
      `A data key is wrapped by master key "${masterKeyId}", which is not in the keyring; add it to COFFER_MASTER_KEYS`,
    )
  }
  return open(masterKey, wrappedKey, dataKeyAad(ownerId, masterKeyId))
}

function decodeKey(base64: string, source: string): Buffer {
  const key = Buffer.from(base64, 'base64')
  if (key.length !== KEY_BYTES || key.toString('base64') !== base64) {
    throw invalidKey(
      source,
      `a key must be the standard base64 of exactly ${KEY_BYTES} bytes (try: openssl rand -base64 32)`,
    )
  }
  return key
}

const invalidKey = (source: string, why: string): CofferError =>
  new CofferError('invalid', `Invalid master key in ${source}: ${why}`)
