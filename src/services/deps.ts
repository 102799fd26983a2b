// What every use case is built from. Constructed once in server.ts (the composition root).
import type { Keyring } from '../crypto/keyring.js'
import type { Store } from '../store/store.js'
import type { DataKeys } from './data-keys.js'

export interface ServiceDeps {
  readonly store: Store
  readonly keyring: Keyring
  readonly dataKeys: DataKeys
  /** The clock, injectable so tests can move time (token expiry, throttling windows). */
  readonly now: () => Date
  readonly newId: () => string
}

export const isoNow = (deps: Pick<ServiceDeps, 'now'>): string => deps.now().toISOString()
