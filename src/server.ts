// Composition root: config -> store -> crypto -> services -> http -> listen. The only place
// (with cli/main.ts) that constructs adapters.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { getConnInfo } from '@hono/node-server/conninfo'
import pino from 'pino'
import { loadConfig, type Config, type ServerOverrides } from './config.js'
import { newId } from './crypto/ids.js'
import { parseKeyring, unwrapDataKey, type Keyring } from './crypto/keyring.js'
import { CofferError } from './domain/errors.js'
import { createHttpApp } from './http/app.js'
import { createRequestListener } from './http/listener.js'
import { loadOrCreateMasterKeyFile } from './master-key-file.js'
import { createDataKeys } from './services/data-keys.js'
import { createServices } from './services/index.js'
import { openPostgresStore } from './store/postgres.js'
import { openSqliteStore } from './store/sqlite.js'
import type { Store } from './store/store.js'

export type { ServerOverrides } from './config.js'

export interface RunningServer {
  readonly url: string
  close(): Promise<void>
}

export async function startServer(
  overrides: ServerOverrides,
  env: NodeJS.ProcessEnv,
): Promise<RunningServer> {
  const config = loadConfig(overrides, env)
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: 'coffer' },
      // Security: defence in depth; request logs never include headers or bodies anyway.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'password', 'token', 'value'],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: 2, sync: false }),
  )
  const store = config.databaseUrl
    ? await openPostgresStore(config.databaseUrl)
    : await openSqliteStore(join(config.dataDir, 'coffer.db'), {
        onCheckpointFailure: (message) =>
          logger.warn({ reason: message }, 'SQLite WAL checkpoint failed; retrying'),
      })
  try {
    const keyring = await openKeyring(config, store, logger)
    const dataKeys = createDataKeys(keyring)
    const services = createServices(
      {
        store,
        keyring,
        dataKeys,
        now: () => new Date(),
        newId: () => newId(),
      },
      { providers: config.providers },
    )

    // Long polls hear of revision moves from here on (PostgreSQL: LISTEN across replicas).
    await services.revisions.start()
    const bootstrap = await services.accounts.bootstrap(config.bootstrapAdminPassword)
    if (bootstrap.generatedPassword !== undefined) {
      // Printed once, to stderr, outside the log stream: it must not end up in log storage.
      process.stderr.write(
        `\ncoffer: created the instance admin "admin" with the generated password:\n\n    ${bootstrap.generatedPassword}\n\n` +
          'coffer: it is shown only now. Log in with `coffer login`, or set COFFER_BOOTSTRAP_ADMIN_PASSWORD before the first start.\n\n',
      )
    } else if (bootstrap.created) {
      logger.info('created the instance admin "admin" from COFFER_BOOTSTRAP_ADMIN_PASSWORD')
    }

    const app = createHttpApp({
      services,
      logger,
      newRequestId: () => newId(),
      clientIp: (c) => {
        try {
          return getConnInfo(c).remote.address ?? null
        } catch {
          return null // in-process requests have no socket
        }
      },
    })
    const server = createServer(createRequestListener(app))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, resolve)
    })
    const address = server.address() as AddressInfo
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    const url = `http://${host}:${address.port}`
    logger.info({ url, engine: store.engine }, 'listening')
    return {
      url,
      async close() {
        // Long polls answer now (with the revision they know) instead of holding the close.
        await services.revisions.close()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeIdleConnections()
        })
        await services.resolve.drain()
        await store.close()
        logger.flush()
      },
    }
  } catch (error) {
    await store.close()
    throw error
  }
}

async function openKeyring(config: Config, store: Store, logger: pino.Logger): Promise<Keyring> {
  const ownerKeys = await store.listOwnerKeys()
  let keyring: Keyring
  if (config.masterKeys.keys !== undefined || config.masterKeys.key !== undefined) {
    keyring = parseKeyring(
      config.masterKeys,
      config.masterKeys.keys !== undefined ? 'COFFER_MASTER_KEYS' : 'COFFER_MASTER_KEY',
    )
  } else if (config.databaseUrl) {
    throw new CofferError(
      'invalid',
      'With PostgreSQL, set COFFER_MASTER_KEY (base64 of 32 bytes; try: openssl rand -base64 32) or COFFER_MASTER_KEYS: every replica must use the same key.',
    )
  } else {
    const file = loadOrCreateMasterKeyFile(config.dataDir, ownerKeys.length === 0)
    if (file.generated)
      logger.warn(
        { path: file.path },
        'generated a new master key file; back it up: without it the data cannot be decrypted',
      )
    keyring = parseKeyring({ keys: file.spec }, file.path)
  }
  // Fail at start, not at the first request, when the key cannot open the stored data keys.
  const sample = ownerKeys[0]
  if (sample) {
    try {
      unwrapDataKey(keyring, sample.ownerId, sample.masterKeyId, sample.wrappedKey)
    } catch (cause) {
      throw new CofferError(
        'invalid',
        `The configured master key cannot open the stored data keys (key id "${sample.masterKeyId}"). Use the key this database was created with.`,
        { cause },
      )
    }
  }
  return keyring
}
