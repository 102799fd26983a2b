// A small HTTP client for end-to-end tests: JSON in, status + parsed body out, and a check that
// no request in the suite ever answered 5xx (SPEC.md §3: a 5xx is a bug).
import { expect } from 'vitest'
import { ADMIN_PASSWORD, type TestServer } from './server.js'

export interface Reply<T = any> {
  readonly status: number
  readonly body: T
  readonly text: string
  readonly headers: Headers
}

export interface RequestOptions {
  readonly token?: string | undefined
  readonly headers?: Record<string, string>
  /** A raw body sent as is (default: JSON of `body`). */
  readonly raw?: string | Uint8Array
  /** Allow a 5xx answer (the integrity-error tests expect one). */
  readonly allow5xx?: boolean
}

export class Api {
  readonly server: TestServer
  readonly token: string | undefined

  constructor(server: TestServer, token?: string) {
    this.server = server
    this.token = token
  }

  as(token: string | undefined): Api {
    return new Api(this.server, token)
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers }
    const token = options.token ?? this.token
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    let payload: string | Uint8Array | undefined = options.raw
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body)
      headers['content-type'] ??= 'application/json'
    }
    const response = await fetch(this.server.url + path, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    })
    const text = await response.text()
    let parsed: unknown = undefined
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (!options.allow5xx)
      expect(
        response.status,
        `${method} ${path} answered ${response.status}: ${text}`,
      ).toBeLessThan(500)
    return { status: response.status, body: parsed as T, text, headers: response.headers }
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, undefined, options)
  }
  post<T = any>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, body, options)
  }
  patch<T = any>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', path, body, options)
  }
  put<T = any>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, body, options)
  }
  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, undefined, options)
  }
}

let counter = 0
/** A unique owner name for this test run (usernames and slugs share one namespace). */
export function uniqueName(prefix: string): string {
  counter += 1
  return `${prefix}-${process.pid.toString(36)}-${counter}`
}

export async function login(api: Api, username: string, password: string): Promise<string> {
  const reply = await api.post('/api/v1/auth/login', { username, password })
  expect(reply.status, reply.text).toBe(200)
  return reply.body.data.token as string
}

export const adminToken = (api: Api): Promise<string> => login(api, 'admin', ADMIN_PASSWORD)

/** Creates a user through the admin and returns a token for them. */
export async function newUser(
  api: Api,
  adminTok: string,
  prefix = 'user',
): Promise<{ username: string; password: string; token: string; id: string }> {
  const username = uniqueName(prefix)
  const password = `pw-${username}-long`
  const created = await api.as(adminTok).post('/api/v1/users', { username, password })
  expect(created.status, created.text).toBe(201)
  return {
    username,
    password,
    token: await login(api, username, password),
    id: created.body.data.id as string,
  }
}
