// What each request carries through the middleware into the routes.
import type { IncomingMessage } from 'node:http'
import type { Actor, RequestContext } from '../domain/types.js'

export interface AppEnv {
  Bindings: {
    /** Node's request, set by @hono/node-server; absent in-process (`app.request()`). */
    readonly incoming?: IncomingMessage
  }
  Variables: {
    requestId: string
    actor: Actor
    requestContext: RequestContext
    /** The route pattern that matched, for logs and metrics (no ids, no query). */
    routePath: string
  }
}
