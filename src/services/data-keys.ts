// Per-owner data keys: created with the owner, unwrapped once and cached (FACTS.md: unwrapping per
// value would dominate). The cache holds plaintext keys in memory only and is safe to lose.
import type { Keyring } from '../crypto/keyring.js'
import { newDataKey, unwrapDataKey, wrapDataKey } from '../crypto/keyring.js'
import { CofferError } from '../domain/errors.js'
import type { Store } from '../store/store.js'

export interface DataKeys {
  /** Creates and stores the data key of a new owner, inside the owner's creating transaction. */
  create(tx: Store, ownerId: string, now: string): Promise<void>
  /** The owner's plaintext data key. */
  get(store: Store, ownerId: string): Promise<Buffer>
  /** Rewraps every data key under the keyring's current master key; returns how many moved. */
  rewrapAll(store: Store, now: string): Promise<number>
}

export function createDataKeys(keyring: Keyring): DataKeys {
  const cache = new Map<string, Buffer>()
  return {
    async create(tx, ownerId, now) {
      const dataKey = newDataKey()
      const wrapped = wrapDataKey(keyring, ownerId, dataKey)
      await tx.insertOwnerKey({ ownerId, ...wrapped, createdAt: now, updatedAt: now })
      // Not cached here: the transaction may still roll back.
    },
    async get(store, ownerId) {
      const cached = cache.get(ownerId)
      if (cached) return cached
      const record = await store.findOwnerKey(ownerId)
      if (!record) {
        throw new CofferError(
          'integrity_error',
          'An owner has no data key; the database may have been modified',
        )
      }
      const dataKey = unwrapDataKey(keyring, ownerId, record.masterKeyId, record.wrappedKey)
      cache.set(ownerId, dataKey)
      return dataKey
    },
    async rewrapAll(store, now) {
      let moved = 0
      for (const record of await store.listOwnerKeys()) {
        if (record.masterKeyId === keyring.currentId) continue
        const dataKey = unwrapDataKey(
          keyring,
          record.ownerId,
          record.masterKeyId,
          record.wrappedKey,
        )
        const wrapped = wrapDataKey(keyring, record.ownerId, dataKey)
        await store.updateOwnerKey(record.ownerId, { ...wrapped, updatedAt: now })
        moved += 1
      }
      return moved
    },
  }
}
