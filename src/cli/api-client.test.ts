import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { apiPath, createApiClient, errorFromResponse, parseServerUrl } from './api-client.js'

describe('apiPath', () => {
  it('encodes each interpolated part as one path segment', () => {
    expect(apiPath`/teams/${'a/b'}/members/${'..'}`).toBe('/teams/a%2Fb/members/..')
    expect(apiPath`/secrets/${'c123'}/versions`).toBe('/secrets/c123/versions')
  })
})

describe('parseServerUrl', () => {
  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['https://coffer.example.com/prefix//', 'https://coffer.example.com/prefix'],
    ['HTTP://Example.COM', 'http://example.com'],
  ])('normalizes %s', (input, server) => {
    expect(parseServerUrl(input)).toBe(server)
  })

  it.each(['localhost:8080', 'ftp://x', 'http://x/?a=1', 'not a url', 'http://u:p@x'])(
    'refuses %s as a usage error',
    (input) => {
      expect(() => parseServerUrl(input)).toThrow(expect.objectContaining({ code: 'usage' }))
    },
  )

  it('does not echo the password of a URL with credentials', () => {
    expect(() => parseServerUrl('http://user:hunter2@x')).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('hunter2') }),
    )
  })
})

describe('errorFromResponse', () => {
  it('rebuilds the code, param, details and all items', () => {
    const error = errorFromResponse(422, {
      detail: 'Invalid name "x"',
      errors: [
        { code: 'invalid', param: 'body.name', details: 'Invalid name "x"' },
        { code: 'reserved_name', param: 'body.other', details: 'Reserved' },
      ],
    })
    expect(error.code).toBe('invalid')
    expect(error.message).toBe('Invalid name "x"')
    expect(error.items).toEqual([
      { code: 'invalid', param: 'body.name', details: 'Invalid name "x"' },
      { code: 'reserved_name', param: 'body.other', details: 'Reserved' },
    ])
  })

  it.each([
    [
      404,
      { detail: 'gone', errors: [{ code: 'secret_not_found', param: '', details: 'gone' }] },
      'secret_not_found',
    ],
    [
      404,
      { detail: 'gone', errors: [{ code: 'brand_new_code', param: '', details: 'gone' }] },
      'not_found',
    ],
    [
      401,
      { detail: 'no', errors: [{ code: 'token_expired', param: '', details: 'no' }] },
      'unauthenticated',
    ],
    [409, undefined, 'name_conflict'],
    [502, undefined, 'internal'],
    [418, 'teapot', 'bad_request'],
  ])('maps HTTP %i with body %j to %s', (status, body, code) => {
    expect(errorFromResponse(status, body).code).toBe(code)
  })

  it('says which status came back when the body has no detail', () => {
    expect(errorFromResponse(404, undefined).message).toBe('The server answered HTTP 404')
    expect(errorFromResponse(502, undefined, 'req1').message).toBe(
      "The server answered HTTP 502 (request req1); the server's log has the details",
    )
    expect(errorFromResponse(500, { detail: 'Internal error' }).message).toBe(
      "Internal error (HTTP 500); the server's log has the details",
    )
  })
})

describe('createApiClient', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
    server = undefined
  })

  async function serve(
    handler: (request: IncomingMessage, body: string, response: ServerResponse) => void,
  ): Promise<string> {
    server = createServer((request, response) => {
      let body = ''
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      request.on('end', () => handler(request, body, response))
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`
  }

  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  it('sends the token, JSON body and Accept header, and returns data', async () => {
    let seen: Record<string, string | undefined> = {}
    const url = await serve((request, body, response) => {
      seen = {
        auth: request.headers.authorization,
        accept: request.headers.accept,
        type: request.headers['content-type'],
        body,
        url: request.url,
      }
      json(response, 200, { data: { ok: true }, status: 'success' })
    })
    const api = createApiClient({ server: `${url}/`, token: 'cfp_x' })
    expect(await api.post('/secrets/', { name: 'A' })).toEqual({ ok: true })
    expect(seen).toEqual({
      auth: 'Bearer cfp_x',
      accept: 'application/json',
      type: 'application/json',
      body: '{"name":"A"}',
      url: '/api/v1/secrets/',
    })
  })

  it('follows nextCursor until it is null', async () => {
    const url = await serve((request, _body, response) => {
      const query = new URL(request.url ?? '/', 'http://x').searchParams
      expect(query.get('limit')).toBe('200')
      expect(query.get('teamId')).toBe('t1')
      const cursor = query.get('cursor')
      if (cursor === null) json(response, 200, { data: [1, 2], meta: { nextCursor: 'p2' } })
      else if (cursor === 'p2') json(response, 200, { data: [3], meta: { nextCursor: 'p3' } })
      else json(response, 200, { data: [4], meta: { nextCursor: null } })
    })
    const api = createApiClient({ server: url })
    expect(await api.list('/secrets/', { teamId: 't1' })).toEqual([1, 2, 3, 4])
  })

  it('keeps a server path prefix', async () => {
    let path: string | undefined
    const url = await serve((request, _body, response) => {
      path = request.url
      json(response, 200, { data: {} })
    })
    await createApiClient({ server: `${url}/coffer` }).get('/me')
    expect(path).toBe('/coffer/api/v1/me')
  })

  it('returns nothing for 204', async () => {
    const url = await serve((_request, _body, response) => response.writeHead(204).end())
    await expect(createApiClient({ server: url }).delete('/secrets/c1')).resolves.toBeUndefined()
  })

  it('rebuilds the server error', async () => {
    const url = await serve((_request, _body, response) =>
      json(response, 404, {
        detail: 'Secret not found',
        errors: [{ code: 'secret_not_found', param: 'path.id', details: 'Secret not found' }],
      }),
    )
    await expect(createApiClient({ server: url }).get('/secrets/c1')).rejects.toMatchObject({
      code: 'secret_not_found',
      message: 'Secret not found',
    })
  })

  it('names the URL and the reason when the server is unreachable', async () => {
    const api = createApiClient({ server: 'http://127.0.0.1:1' })
    await expect(api.get('/me')).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\).*coffer server/),
    })
  })

  it('refuses a 2xx answer that is not a Coffer envelope', async () => {
    const url = await serve((_request, _body, response) =>
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'),
    )
    await expect(createApiClient({ server: url }).get('/me')).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('is it a Coffer server?'),
    })
  })
})
