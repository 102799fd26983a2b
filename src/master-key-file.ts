// The embedded default's master key: generated once into <data-dir>/master.key (mode 0600) when
// no COFFER_MASTER_KEY(S) is set (SPEC.md §2). PostgreSQL deployments must configure the key:
// replicas generating their own would each encrypt with a different one.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateMasterKeySpec } from './crypto/keyring.js'
import { CofferError } from './domain/errors.js'

export const MASTER_KEY_FILE = 'master.key'

export interface KeyFileResult {
  readonly spec: string
  readonly path: string
  readonly generated: boolean
}

/** Reads the key file, or creates it when `mayCreate` (an empty database). */
export function loadOrCreateMasterKeyFile(dataDir: string, mayCreate: boolean): KeyFileResult {
  const path = join(dataDir, MASTER_KEY_FILE)
  try {
    const mode = statSync(path).mode & 0o777
    if ((mode & 0o077) !== 0) {
      throw new CofferError(
        'invalid',
        `${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`,
      )
    }
    return { spec: readFileSync(path, 'utf8').trim(), path, generated: false }
  } catch (error) {
    if (!isMissing(error)) throw error
  }
  if (!mayCreate) {
    throw new CofferError(
      'invalid',
      `The database holds encrypted data but ${path} is missing. Restore that file, or set COFFER_MASTER_KEY / COFFER_MASTER_KEYS to the key it held.`,
    )
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const spec = generateMasterKeySpec()
  // Security: 'wx' fails if another process created it first; mode 0600 from the first byte.
  writeFileSync(path, `${spec}\n`, { mode: 0o600, flag: 'wx' })
  return { spec, path, generated: true }
}

const isMissing = (error: unknown): boolean =>
  error instanceof Error && 'code' in error && error.code === 'ENOENT'
