// A local stand-in for the AI providers' `GET {baseUrl}/models`, for tests of connection checks:
// it checks each provider's auth header, answers 200 with a models list for the right key, 401
// for any other, and never answers under /slow (for the timeout).
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeProvider {
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  /** Headers of every request, in order. */
  readonly requests: { readonly path: string; readonly headers: IncomingHttpHeaders }[]
  close(): Promise<void>
}

/** Paths: `/anthropic/v1/models` (x-api-key + anthropic-version), `/slow/v1/models` (no answer),
 *  `/redirect/v1/models` (302), and any other `/<name>/v1/models` (Bearer). */
export async function startFakeProvider(validKey: string): Promise<FakeProvider> {
  const requests: FakeProvider['requests'] = []
  const server = createServer((req, res) => {
    const path = req.url ?? ''
    requests.push({ path, headers: req.headers })
    if (path.startsWith('/slow/')) return // never answers: the caller's timeout decides
    if (path.startsWith('/redirect/')) {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end()
      return
    }
    if (!path.endsWith('/v1/models') || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    const good = path.startsWith('/anthropic/')
      ? req.headers['x-api-key'] === validKey && req.headers['anthropic-version'] === '2023-06-01'
      : req.headers.authorization === `Bearer ${validKey}`
    if (!good) {
      // Real providers sometimes quote part of the key they refused: Coffer must not relay it.
      res.writeHead(401, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: { message: `Incorrect API key provided: ${String(req.headers.authorization)}` },
        }),
      )
      return
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ object: 'list', data: [{ id: 'model-a' }, { id: 'model-b' }] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
