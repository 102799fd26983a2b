// Request bodies, read straight from Node's IncomingMessage. Through @hono/node-server, the first
// body read builds a WHATWG Request, a ReadableStream and an AbortController around the socket
// — measured, that costs a small JSON POST (a resolve) about 40 % of its throughput. Served by
// Node, this middleware reads the bytes itself, enforces the size limit while reading, and hands
// them to Hono's own body cache, so `c.req.json()`, `c.req.text()` and the validators read them
// from there. Without Node's request (`app.request()` in-process), Hono's bodyLimit does the job.
import type { IncomingMessage } from 'node:http'
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { CofferError } from '../domain/errors.js'
import type { AppEnv } from './context.js'

/** The methods whose requests may carry a body. */
export const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// Decodes as Request.text() does: UTF-8, a leading BOM dropped, invalid bytes replaced. Without
// the stream option a decoder keeps no state between calls, so one serves every request.
const utf8 = new TextDecoder()

export function readBodies(maxBytes: number): MiddlewareHandler<AppEnv> {
  const MiB = 1024 * 1024
  const limit = maxBytes % MiB === 0 ? `${maxBytes / MiB} MiB` : `${maxBytes} bytes`
  const tooLarge = () =>
    new CofferError('too_large', `The request body is larger than ${limit}`, { param: 'body' })
  const inProcess = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge()
    },
  })
  return async (c, next) => {
    // c.env itself is undefined in-process.
    const incoming = (c.env as AppEnv['Bindings'] | undefined)?.incoming
    if (incoming === undefined) return inProcess(c, next)
    if (!BODY_METHODS.has(c.req.method)) return next()
    const declared = c.req.header('content-length')
    if (declared === undefined && c.req.header('transfer-encoding') === undefined) return next()
    if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge()
    const bytes = await readAll(incoming, maxBytes, tooLarge)
    // Copied out, so the ArrayBuffer holds this body only (not the rest of a pooled slab).
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
    // Hono keeps promises in its body cache (its declared type says otherwise): json() chains
    // .then on the cached text. The end-to-end tests read every JSON and YAML body through here.
    const cache = c.req.bodyCache as Record<string, Promise<unknown>>
    cache.arrayBuffer = Promise.resolve(buffer)
    cache.text = Promise.resolve(utf8.decode(bytes))
    return next()
  }
}

function readAll(
  incoming: IncomingMessage,
  maxBytes: number,
  tooLarge: () => CofferError,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    // 'close' follows every 'end': the error is made only for a body that did not arrive
    // (an Error's stack costs more than reading a small body).
    let settled = false
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes) {
        // The rest stays unread; the 413 closes the connection (app.ts onError).
        settled = true
        incoming.off('data', onData)
        incoming.pause()
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    }
    const unreadable = () => {
      if (settled) return
      settled = true
      reject(
        new CofferError('bad_request', 'The request body could not be read', { param: 'body' }),
      )
    }
    incoming.on('data', onData)
    incoming.once('end', () => {
      settled = true
      resolve(Buffer.concat(chunks, size))
    })
    incoming.once('error', unreadable)
    // A client gone mid-body: without this the request would wait forever.
    incoming.once('close', unreadable)
  })
}
