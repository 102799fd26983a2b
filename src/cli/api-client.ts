// A small JSON client for the Coffer REST API (SPEC.md §3) on node:http(s): the first global
// fetch() costs ~90 ms at start (FACTS.md "Process start"), which `coffer run` cannot afford.
// Every failure becomes a CofferError rebuilt from the server's `errors`, so a server
// `secret_not_found` is exit 4 here too.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { CofferError, type ErrorCode, type ErrorItem } from '../domain/errors.js'
import { ERROR_OUTCOMES } from '../error-outcomes.js'

export const DEFAULT_SERVER = 'http://127.0.0.1:8080'
const API_PREFIX = '/api/v1'
const DEFAULT_TIMEOUT_MS = 30_000
const PAGE_LIMIT = 200

export type Query = Readonly<Record<string, string | number | undefined>>

export interface RequestSettings {
  readonly query?: Query
  readonly body?: unknown
  /** A body that is not JSON (e.g. a coffer.yaml as `application/yaml`); wins over `body`. */
  readonly raw?: { readonly contentType: string; readonly text: string }
  readonly timeoutMs?: number
  /** Ends the request early (a `coffer run --watch` long-poll when the child exits). */
  readonly signal?: AbortSignal
}

/** A success body: `{data, status}`, lists add `meta.nextCursor` (SPEC.md §3). */
export interface Envelope<T> {
  readonly data: T
  readonly meta?: { readonly nextCursor?: string | null }
}

export interface ApiClient {
  /** The normalized server URL, as shown to people and stored with a login. */
  readonly server: string
  request<T>(method: string, path: string, settings?: RequestSettings): Promise<Envelope<T>>
  get<T>(path: string, query?: Query): Promise<T>
  post<T>(path: string, body?: unknown): Promise<T>
  patch<T>(path: string, body: unknown): Promise<T>
  delete(path: string): Promise<void>
  /** Every item of a list, following `meta.nextCursor` until it is null. */
  list<T>(path: string, query?: Query): Promise<T[]>
}

export interface ApiClientOptions {
  readonly server: string
  readonly token?: string | undefined
}

/** Path relative to `/api/v1` with each interpolated part percent-encoded as one segment. */
export function apiPath(strings: TemplateStringsArray, ...parts: readonly string[]): string {
  return strings.reduce(
    (path, text, index) =>
      path + text + (index < parts.length ? encodeURIComponent(parts[index] ?? '') : ''),
    '',
  )
}

/**
 * Accepts `http(s)://host[:port][/prefix]` and returns it without a trailing slash.
 * @throws CofferError('usage') for anything else, including credentials in the URL.
 */
export function parseServerUrl(input: string): string {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw badServer(input)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badServer(input)
  if (url.search !== '' || url.hash !== '') throw badServer(input)
  if (url.username !== '' || url.password !== '') {
    // Security: a URL is printed in messages and stored with the login; keep secrets out of it.
    throw new CofferError(
      'usage',
      'The server URL must not contain a user name or password: log in with `coffer login` or set COFFER_TOKEN',
    )
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

function badServer(input: string): CofferError {
  const shown = input.length > 100 ? `${input.slice(0, 100)}…` : input
  return new CofferError(
    'usage',
    `Invalid server URL "${shown}": use http://HOST:PORT or https://HOST (--server or COFFER_SERVER)`,
  )
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const server = parseServerUrl(options.server)
  const origin = new URL(server).origin
  const prefix = server.slice(origin.length) // '' or a path like '/coffer'

  async function request<T>(
    method: string,
    path: string,
    settings: RequestSettings = {},
  ): Promise<Envelope<T>> {
    const url = new URL(prefix + API_PREFIX + path, origin)
    for (const [key, value] of Object.entries(settings.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    const payload =
      settings.raw !== undefined
        ? Buffer.from(settings.raw.text, 'utf8')
        : settings.body === undefined
          ? undefined
          : Buffer.from(JSON.stringify(settings.body), 'utf8')
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'coffer-cli',
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    if (payload) {
      headers['content-type'] = settings.raw?.contentType ?? 'application/json'
      headers['content-length'] = String(payload.length)
    }
    const { status, text, requestId } = await send(
      url,
      { method, headers, ...(settings.signal ? { signal: settings.signal } : {}) },
      payload,
      settings.timeoutMs,
    )
    const body = parseJson(text)
    if (status < 200 || status > 299) throw errorFromResponse(status, body, requestId)
    if (status === 204 || text === '') return { data: undefined as T }
    if (body === undefined || typeof body !== 'object' || body === null || !('data' in body)) {
      throw new CofferError(
        'internal',
        `The server at ${server} answered HTTP ${status} without a JSON "data" field: is it a Coffer server?`,
      )
    }
    return body as Envelope<T>
  }

  function send(
    url: URL,
    init: RequestOptions,
    payload: Buffer | undefined,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<{ status: number; text: string; requestId: string | undefined }> {
    return new Promise((resolve, reject) => {
      const onResponse = (response: IncomingMessage): void => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', (error) => reject(unreachable(server, error)))
        response.on('end', () => {
          const requestId = response.headers['x-request-id']
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            requestId: typeof requestId === 'string' ? requestId : undefined,
          })
        })
      }
      const start = async (): Promise<void> => {
        // node:https loads TLS; only pay for it when the server is https.
        const requester =
          url.protocol === 'https:' ? (await import('node:https')).request : httpRequest
        const req = requester(url, init, onResponse)
        req.setTimeout(timeoutMs, () =>
          req.destroy(
            new CofferError(
              'unavailable',
              `The Coffer server at ${server} did not answer within ${Math.round(timeoutMs / 1000)} s`,
            ),
          ),
        )
        req.on('error', (error) => reject(unreachable(server, error)))
        req.end(payload)
      }
      start().catch(reject)
    })
  }

  async function list<T>(path: string, query: Query = {}): Promise<T[]> {
    const items: T[] = []
    const seen = new Set<string>()
    let cursor: string | undefined
    for (;;) {
      const page = await request<T[]>('GET', path, {
        query: { ...query, limit: PAGE_LIMIT, cursor },
      })
      items.push(...(Array.isArray(page.data) ? page.data : []))
      const next = page.meta?.nextCursor
      // A cursor seen before would loop forever; the server is wrong, but the CLI must end.
      if (typeof next !== 'string' || next === '' || seen.has(next)) return items
      seen.add(next)
      cursor = next
    }
  }

  return {
    server,
    request,
    get: async <T>(path: string, query?: Query) =>
      (await request<T>('GET', path, query === undefined ? {} : { query })).data,
    post: async <T>(path: string, body?: unknown) =>
      (await request<T>('POST', path, { body: body ?? {} })).data,
    patch: async <T>(path: string, body: unknown) =>
      (await request<T>('PATCH', path, { body })).data,
    delete: async (path: string) => {
      await request<undefined>('DELETE', path)
    },
    list,
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** The code a status means when the body does not say (a proxy's error page, an old server). */
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'name_conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  422: 'invalid',
  429: 'rate_limited',
  503: 'unavailable',
}

const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(ERROR_OUTCOMES, code)

/**
 * Rebuilds the server's CofferError from an error body `{detail, errors: [{param, details,
 * code}]}` (SPEC.md §3). Codes this CLI does not know fall back to the status's code.
 */
export function errorFromResponse(status: number, body: unknown, requestId?: string): CofferError {
  const fallback: ErrorCode = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request')
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const items: ErrorItem[] = (Array.isArray(record.errors) ? (record.errors as unknown[]) : [])
    .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    .map((item) => ({
      // A 401 is always "log in again", whatever code an intermediary put on it.
      code: status === 401 ? 'unauthenticated' : isErrorCode(item.code) ? item.code : fallback,
      param: typeof item.param === 'string' ? item.param : '',
      details: typeof item.details === 'string' ? item.details : '',
    }))
  const given =
    typeof record.detail === 'string' && record.detail !== ''
      ? record.detail
      : (items[0]?.details ?? '')
  const detail = given === '' ? `The server answered HTTP ${status}` : given
  const [first, ...rest] = items
  // A 5xx is the server's failure: point at its log, where the request id finds the entry.
  const context = [
    given === '' ? undefined : `HTTP ${status}`,
    requestId === undefined ? undefined : `request ${requestId}`,
  ].filter((part) => part !== undefined)
  const message =
    status >= 500
      ? `${detail}${context.length === 0 ? '' : ` (${context.join(', ')})`}; the server's log has the details`
      : detail
  return new CofferError(first?.code ?? fallback, message, {
    param: first?.param ?? '',
    more: rest,
  })
}

function unreachable(server: string, error: unknown): CofferError {
  if (error instanceof CofferError) return error
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const reason = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : 'connection failed'
  return new CofferError(
    'unavailable',
    `Cannot reach the Coffer server at ${server} (${reason}). Start it with \`coffer server\`, or point --server / COFFER_SERVER at it.`,
    { cause: error },
  )
}

/** A team's id from its slug (`--team SLUG`), for the routes that take `teamId`. */
export async function resolveTeamId(api: ApiClient, slug: string): Promise<string> {
  const team = await api.get<{ readonly id: string }>(apiPath`/teams/${slug}`)
  return team.id
}
