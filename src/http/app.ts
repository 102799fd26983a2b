// createHttpApp: the REST API as a Hono app. It never listens (server.ts does), so tests can
// call it in process while end-to-end tests start the real server.
import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Logger } from 'pino'
import { CofferError } from '../domain/errors.js'
import type { Services } from '../services/index.js'
import { authentication } from './auth.js'
import { BODY_METHODS, readBodies } from './body.js'
import type { AppEnv } from './context.js'
import { errorResponse, unsupportedMediaType, validationError } from './errors.js'
import { registerDocs } from './routes/docs.js'
import { registerAccountRoutes } from './routes/accounts.js'
import { registerAuditRoutes } from './routes/audit.js'
import { registerEnvironmentRoutes } from './routes/environments.js'
import { registerEnvironmentsHubRoutes } from './routes/environmentshub.js'
import { registerImportRoutes } from './routes/imports.js'
import { acceptsYamlBody, registerRequirementsRoutes } from './routes/requirements.js'
import { registerOperationsRoutes } from './routes/operations.js'
import { registerProviderRoutes } from './routes/providers.js'
import { registerRuntimeRoutes } from './routes/runtime.js'
import { registerSecretRoutes } from './routes/secrets.js'
import { registerTeamRoutes } from './routes/teams.js'

export const BODY_LIMIT_BYTES = 1024 * 1024
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i

export interface HttpAppOptions {
  readonly services: Services
  readonly logger: Logger
  readonly newRequestId: () => string
  /** The client address for a request (the socket's, unless a proxy is trusted). */
  readonly clientIp?: (c: Context<AppEnv>) => string | null
}

export type HttpApp = OpenAPIHono<AppEnv>

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { services, logger } = options
  const app = new OpenAPIHono<AppEnv>({
    strict: false, // SPEC.md §3.2: trailing slashes are accepted and ignored on every route.
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target)
    },
  })

  app.use(async (c, next) => {
    const started = performance.now()
    const incoming = c.req.header('x-request-id')
    const requestId =
      incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : options.newRequestId()
    c.set('requestId', requestId)
    c.set('requestContext', { requestId, ip: options.clientIp?.(c) ?? null })
    c.set('actor', { kind: 'anonymous' })
    // Set before the handler runs: a header added to a finished response makes Hono rebuild it,
    // which costs two thirds of a small route's throughput on Node.
    c.header('X-Request-Id', requestId)
    await next()
    // Security: the log line names the route and status only: no query string, body or header.
    logger.info(
      {
        requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'request',
    )
  })

  app.use('/api/*', readBodies(BODY_LIMIT_BYTES))
  app.use('/api/*', async (c, next) => {
    if (BODY_METHODS.has(c.req.method) && hasBody(c)) {
      const type = c.req.header('content-type') ?? ''
      if (!JSON_TYPE.test(type) && !acceptsYamlBody(c.req.method, c.req.path, type))
        throw unsupportedMediaType()
    }
    return next()
  })
  app.use('/api/*', authentication(services))

  registerOperationsRoutes(app, services)
  registerAccountRoutes(app, services)
  registerTeamRoutes(app, services)
  registerSecretRoutes(app, services)
  registerEnvironmentRoutes(app, services)
  registerRequirementsRoutes(app, services)
  registerImportRoutes(app, services)
  registerEnvironmentsHubRoutes(app, services)
  registerAuditRoutes(app, services)
  registerProviderRoutes(app, services)
  registerRuntimeRoutes(app, services)
  registerDocs(app)

  app.notFound(() => {
    throw new CofferError('not_found', 'No such route; see /api/v1/openapi.json for the API')
  })
  app.onError((error, c) => {
    const { status, body } = errorResponse(error)
    // The unread rest of an oversized body would poison a kept-alive connection.
    if (status === 413) c.header('Connection', 'close')
    if (status >= 500) {
      logger.error(
        { err: error, requestId: c.get('requestId') },
        body.errors[0]?.code === 'integrity_error' ? 'integrity failure' : 'unexpected error',
      )
    }
    return c.json(body, status as 400)
  })
  return app
}

function hasBody(c: { req: { header(name: string): string | undefined } }): boolean {
  const length = c.req.header('content-length')
  if (length !== undefined) return Number(length) > 0
  return c.req.header('transfer-encoding') !== undefined
}
