// Authentication: who sent the request. Deciding what they may do is domain/scopes.ts's job.
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { CofferError } from '../domain/errors.js'
import type { Services } from '../services/index.js'
import type { AppEnv } from './context.js'

export const SESSION_COOKIE = 'coffer_session'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The API routes that need no credentials and read none (STYLE.md §8: a short named list).
 *  Every other API route answers 401 without them, before its request is validated. Logging
 *  in proves who you are afresh, so a leftover cookie or token (revoked, expired, or a live
 *  session whose page lost its CSRF token) must not stand in its way. Paths are compared
 *  without the trailing slash the router also accepts. */
const PUBLIC_PATHS = new Set([
  '/api/v1/auth/login',
  '/api/v1/healthz',
  '/api/v1/readyz',
  '/api/v1/openapi.json',
])

/** The only routes a runtime token (`cft_…`) may call (SPEC.md §1 "Runtime tokens and sync"). */
const RUNTIME_ROUTES: readonly (readonly [string, RegExp])[] = [
  ['POST', /^\/api\/v1\/environments\/[^/]+\/[^/]+\/resolve\/*$/],
  ['GET', /^\/api\/v1\/environments\/[^/]+\/[^/]+\/revision\/*$/],
]

export function authentication(services: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (PUBLIC_PATHS.has(c.req.path.replace(/\/+$/, ''))) {
      c.set('actor', { kind: 'anonymous' })
      return next()
    }
    const header = c.req.header('authorization')
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
      if (!match?.[1]) {
        throw new CofferError(
          'unauthenticated',
          'The Authorization header must be `Bearer <token>`',
          { param: 'header.authorization' },
        )
      }
      const token = match[1]
      if (token.startsWith('cft_')) {
        const actor = await services.runtimeTokens.authenticate(token)
        // Security: defence in depth. scopes.ts decides (a runtime token may resolve and watch its
        // own environment only); this gate also keeps runtime tokens away from every other route
        // before its request is even validated, including routes added later.
        if (
          !RUNTIME_ROUTES.some(([method, path]) => c.req.method === method && path.test(c.req.path))
        )
          throw new CofferError(
            'forbidden',
            'A runtime token can only resolve and watch its own environment',
          )
        c.set('actor', actor)
        return next()
      }
      c.set('actor', await services.accounts.authenticate(token, 'token'))
      return next()
    }
    const session = getCookie(c, SESSION_COOKIE)
    if (session !== undefined) {
      const actor = await services.accounts.authenticate(session, 'session')
      // Security: a cookie rides along on cross-site requests; mutations must prove they come
      // from our own page, which alone can read the CSRF token.
      if (!SAFE_METHODS.has(c.req.method)) {
        services.accounts.checkCsrf(session, c.req.header('x-csrf-token') ?? '')
      }
      c.set('actor', actor)
      return next()
    }
    throw new CofferError(
      'unauthenticated',
      'Authentication required: log in with `coffer login` or send a token',
    )
  }
}

const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60

export function startSession(c: Context, services: Services, token: string): string {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: new URL(c.req.url).protocol === 'https:',
    maxAge: SESSION_MAX_AGE_SECONDS,
  })
  return services.accounts.csrfTokenFor(token)
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' })
}
