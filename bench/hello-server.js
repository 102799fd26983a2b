// The baseline: Hono's hello-world on @hono/node-server, the same framework and adapter Coffer
// serves through. Prints its URL as the first line.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/', (c) => c.text('Hello Hono!'))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening on http://127.0.0.1:${info.port}\n`)
})
process.on('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
})
