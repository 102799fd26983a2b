// readBodies: the body as Hono's readers see it, its size limit by declared length and while
// streaming (chunked), and the same limit in-process, where Node's request is absent.
import { request, type IncomingHttpHeaders } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readBodies } from './body.js'
import type { AppEnv } from './context.js'
import { errorResponse } from './errors.js'

const LIMIT = 1024

/** Requests whose middleware chain has ended, whichever way. */
let settled = 0

function testApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use(async (_c, next) => {
    try {
      await next()
    } finally {
      settled += 1
    }
  })
  app.use(readBodies(LIMIT))
  app.post('/json', async (c) => c.json({ parsed: (await c.req.json()) as unknown }))
  app.post('/text', async (c) => c.text(await c.req.text()))
  app.post('/bytes', async (c) => c.json({ length: (await c.req.arrayBuffer()).byteLength }))
  app.onError((error, c) => {
    const { status, body } = errorResponse(error)
    return c.json(body, status as 400)
  })
  return app
}

interface Reply {
  readonly status: number
  readonly text: string
  readonly headers: IncomingHttpHeaders
}

describe('readBodies through Node', () => {
  const server = createAdaptorServer({ fetch: testApp().fetch })
  let port = 0
  beforeAll(
    () =>
      new Promise<void>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          port = (server.address() as AddressInfo).port
          resolve()
        }),
      ),
  )
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  /** Sends `chunks` as the body, with Content-Length unless `chunked`. */
  function post(path: string, chunks: readonly (string | Buffer)[], chunked = false) {
    return new Promise<Reply>((resolve, reject) => {
      const body = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)))
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': body.length }),
          },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }))
        },
      )
      req.on('error', reject)
      if (chunked) for (const chunk of chunks) req.write(chunk)
      req.end(chunked ? undefined : body)
    })
  }

  it('hands the body to json(), text() and arrayBuffer(), sent whole or in chunks', async () => {
    for (const chunked of [false, true]) {
      const json = await post('/json', ['{"name":', '"ü"}'], chunked)
      expect(JSON.parse(json.text)).toEqual({ parsed: { name: 'ü' } })
      expect((await post('/text', ['a\n', 'b'], chunked)).text).toBe('a\nb')
      expect(JSON.parse((await post('/bytes', ['ü', 'x'], chunked)).text)).toEqual({ length: 3 })
    }
  })

  it('decodes as Request.text() does: a leading BOM dropped, invalid UTF-8 replaced', async () => {
    const bom = await post('/json', [Buffer.from([0xef, 0xbb, 0xbf]), '{"a":1}'])
    expect(JSON.parse(bom.text)).toEqual({ parsed: { a: 1 } })
    expect((await post('/text', [Buffer.from([0x61, 0xff, 0x62])])).text).toBe('a\uFFFDb')
  })

  it('accepts a body of exactly the limit and refuses one byte more, declared or streamed', async () => {
    const exact = 'x'.repeat(LIMIT)
    expect((await post('/bytes', [exact])).status).toBe(200)
    expect((await post('/bytes', [exact.slice(0, 500), exact.slice(500)], true)).status).toBe(200)
    const declared = await post('/bytes', [`${exact}x`])
    expect(declared.status).toBe(413)
    expect(JSON.parse(declared.text)).toMatchObject({ errors: [{ code: 'too_large' }] })
    const streamed = await post('/bytes', [exact, 'x'.repeat(LIMIT)], true)
    expect(streamed.status).toBe(413)
    expect(JSON.parse(streamed.text)).toMatchObject({ errors: [{ code: 'too_large' }] })
  })
})

describe('readBodies when the client goes away', () => {
  const server = createAdaptorServer({ fetch: testApp().fetch })
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)))
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('ends the request when the body stops half-way, instead of waiting forever', async () => {
    const { port } = server.address() as AddressInfo
    const before = settled
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(
      'POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.destroy()
    for (let waited = 0; settled === before && waited < 2000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(settled).toBe(before + 1)
  })
})

describe('readBodies in-process', () => {
  const app = testApp()
  const post = (path: string, body: string) =>
    app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } })

  it('reads the body through Hono and keeps the same limit', async () => {
    expect(await (await post('/json', '{"a":1}')).json()).toEqual({ parsed: { a: 1 } })
    expect((await post('/bytes', 'x'.repeat(LIMIT))).status).toBe(200)
    const refused = await post('/bytes', 'x'.repeat(LIMIT + 1))
    expect(refused.status).toBe(413)
    expect(await refused.json()).toMatchObject({ errors: [{ code: 'too_large' }] })
  })
})
