// The Node request listener around the Hono app. It sees the raw request line before URL
// parsing normalizes it, which is where SPEC.md §3's "paths are not normalized" rule must live.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { CofferError } from '../domain/errors.js'
import type { HttpApp } from './app.js'
import { errorResponse } from './errors.js'

/** True when a path segment is `.` or `..`, raw or percent-encoded (`%2e`, `%2E%2e`, …). */
export function hasDotSegment(rawUrl: string): boolean {
  const path = rawUrl.split(/[?#]/, 1)[0] ?? ''
  return path.split('/').some((segment) => {
    const decoded = segment.replace(/%2e/gi, '.')
    return decoded === '.' || decoded === '..'
  })
}

export function createRequestListener(
  app: HttpApp,
): (req: IncomingMessage, res: ServerResponse) => void {
  const listener = getRequestListener(app.fetch)
  return (req, res) => {
    if (hasDotSegment(req.url ?? '/')) {
      const { status, body } = errorResponse(
        new CofferError('bad_request', 'Paths with . or .. segments are refused, encoded or not', {
          param: 'path',
        }),
      )
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
      return
    }
    void listener(req, res)
  }
}
