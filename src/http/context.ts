// What each request carries through the middleware into the routes.
import type { Actor, RequestContext } from '../domain/types.js'

export interface AppEnv {
  Variables: {
    requestId: string
    actor: Actor
    requestContext: RequestContext
    /** The route pattern that matched, for logs and metrics (no ids, no query). */
    routePath: string
  }
}
