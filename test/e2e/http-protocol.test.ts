// The protocol every route shares (SPEC.md §3): envelopes, error shape, paths, media types,
// limits, request ids, the OpenAPI document, and logs that never carry a value or token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Api, adminToken } from '../support/http.js'
import { startTestServer, testEngines, type TestServer } from '../support/server.js'

const engines = await testEngines()

describe.each(engines)('HTTP protocol (%s)', (engine) => {
  let server: TestServer
  let api: Api
  let token: string

  beforeAll(async () => {
    server = await startTestServer(engine)
    api = new Api(server)
    token = await adminToken(api)
    api = api.as(token)
  })
  afterAll(() => server.stop())

  const expectErrorShape = (body: any, code: string, param?: string) => {
    expect(body).toEqual({ detail: expect.any(String), errors: expect.any(Array) })
    expect(body.errors[0]).toEqual({
      code,
      param: param ?? expect.any(String),
      details: body.detail,
    })
  }

  it('answers unknown routes with 404 in the error shape', async () => {
    const reply = await api.get('/api/v1/nothing-here')
    expect(reply.status).toBe(404)
    expectErrorShape(reply.body, 'not_found')
  })

  it.each([
    '/api/v1/secrets/../me',
    '/api/v1/secrets/%2e%2e/me',
    '/api/v1/./me',
    '/api/v1/secrets/%2E/x',
  ])('refuses the dot-segment path %s with 400', async (path) => {
    // fetch would normalize the path, so speak HTTP directly.
    const { request } = await import('node:http')
    const url = new URL(server.url)
    const status = await new Promise<number>((resolve, reject) => {
      request(
        { host: url.hostname, port: url.port, path, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
        .on('error', reject)
        .end()
    })
    expect(status).toBe(400)
  })

  it('accepts trailing slashes on every route', async () => {
    const [withSlash, without] = await Promise.all([api.get('/api/v1/me/'), api.get('/api/v1/me')])
    expect(withSlash.status).toBe(200)
    expect(withSlash.body).toEqual(without.body)
  })

  it('wraps data in the success envelope and pages lists', async () => {
    const me = await api.get('/api/v1/me')
    expect(me.body).toEqual({ data: expect.any(Object), status: 'success' })
    const list = await api.get('/api/v1/secrets/')
    expect(list.body).toMatchObject({
      data: expect.any(Array),
      status: 'success',
      meta: { nextCursor: null },
    })
  })

  it('refuses a body that is not JSON with 415', async () => {
    const reply = await api.post('/api/v1/secrets/', undefined, {
      raw: 'name=A&value=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(reply.status).toBe(415)
    expectErrorShape(reply.body, 'unsupported_media_type')
  })

  it('refuses malformed JSON with 400', async () => {
    const reply = await api.post('/api/v1/secrets/', undefined, {
      raw: '{"name": "A",',
      headers: { 'content-type': 'application/json' },
    })
    expect(reply.status).toBe(400)
    expectErrorShape(reply.body, 'bad_request')
  })

  it('refuses a body over 1 MiB with 413', async () => {
    const huge = JSON.stringify({ name: 'HUGE', value: 'x'.repeat(1024 * 1024 + 10) })
    const reply = await api.post('/api/v1/secrets/', undefined, {
      raw: huge,
      headers: { 'content-type': 'application/json' },
    })
    expect(reply.status).toBe(413)
    expectErrorShape(reply.body, 'too_large')
  })

  it('refuses an invalid limit with 422 naming query.limit, and a foreign cursor with 400', async () => {
    for (const limit of ['0', '201', 'ten']) {
      const reply = await api.get(`/api/v1/secrets/?limit=${limit}`)
      expect(reply.status).toBe(422)
      expect(reply.body.errors[0].param).toBe('query.limit')
    }
    const cursor = await api.get('/api/v1/secrets/?cursor=not-ours!')
    expect(cursor.status).toBe(400)
    expect(cursor.body.errors[0].param).toBe('query.cursor')
  })

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const echoed = await api.get('/api/v1/me', { headers: { 'x-request-id': 'trace-123' } })
    expect(echoed.headers.get('x-request-id')).toBe('trace-123')
    const made = await api.get('/api/v1/me', { headers: { 'x-request-id': 'bad id with spaces' } })
    expect(made.headers.get('x-request-id')).toMatch(/^c[a-z0-9]{24}$/)
  })

  it('serves health and readiness probes without a token', async () => {
    const anonymous = api.as(undefined)
    for (const path of ['/healthz', '/readyz', '/api/v1/healthz', '/api/v1/readyz']) {
      const reply = await anonymous.get(path)
      expect(reply.status, path).toBe(200)
      expect(reply.body).toEqual({ status: 'ok' })
    }
  })

  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const reply = await api.as(undefined).get('/api/v1/openapi.json')
    expect(reply.status).toBe(200)
    expect(reply.body.openapi).toBe('3.1.0')
    const paths = Object.keys(reply.body.paths)
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/secrets',
        '/api/v1/secrets/{id}',
        '/api/v1/auth/login',
        '/api/v1/teams/{slug}/members',
        '/api/v1/audit',
      ]),
    )
    const create = reply.body.paths['/api/v1/secrets'].post
    expect(create.requestBody.content['application/json'].schema).toBeDefined()
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['200', '409', '422']))
  })

  it('serves a reference page at /docs under a strict CSP', async () => {
    const reply = await api.as(undefined).get('/docs')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toMatch(/text\/html/)
    expect(reply.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(reply.text).toContain('/api/v1/secrets/{id}/rollback')
  })

  it('never writes a value, token or password to the log', async () => {
    const sentinel = `sentinel-${Date.now()}-value-that-must-not-leak`
    const created = await api.post('/api/v1/secrets/', { name: 'LOG_LEAK_CHECK', value: sentinel })
    expect(created.status).toBe(200)
    await api.patch(`/api/v1/secrets/${created.body.data.id}`, { value: `${sentinel}-2` })
    await api.post('/api/v1/secrets/', { name: 'lower', value: sentinel }) // rejected: still not logged
    const tokenReply = await api.post('/api/v1/tokens', { name: 'leak check' })
    await api.as(tokenReply.body.data.token).get('/api/v1/me')
    await new Promise((resolve) => setTimeout(resolve, 300)) // let the async log stream drain
    const log = server.log()
    expect(log).toContain('"path":"/api/v1/secrets"') // the requests were logged…
    expect(log).not.toContain(sentinel) // …without the value,
    expect(log).not.toContain(tokenReply.body.data.token) // the token,
    expect(log).not.toContain(token)
    expect(log).not.toContain('admin-password-for-tests') // or the password
  })
})
