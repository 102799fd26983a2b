import { describe, expect, it } from 'vitest'
import { openFallback, sealFallback, type FallbackSnapshot } from './fallback.js'

const snapshot: FallbackSnapshot = {
  server: 'http://127.0.0.1:8080',
  environment: 'acme/agent',
  revision: 7,
  savedAt: '2026-11-23T10:00:00.000Z',
  values: { API_KEY: 'sk-very-secret-value', MODE: 'prod' },
  sources: { API_KEY: 'direct', MODE: 'variable' },
}
const TOKEN = 'cft_' + 'a'.repeat(43)
const where = { server: snapshot.server, environment: snapshot.environment }

describe('fallback snapshots', () => {
  it('round-trip with the same token, server and environment, and hold no plaintext', () => {
    const text = sealFallback(TOKEN, snapshot)
    expect(text).not.toContain('sk-very-secret-value')
    expect(text).not.toContain('API_KEY')
    expect(openFallback(TOKEN, text, where)).toEqual(snapshot)
  })

  it('refuse another token, another environment, another server and tampering alike', () => {
    const text = sealFallback(TOKEN, snapshot)
    const refusals = [
      () => openFallback('cft_' + 'b'.repeat(43), text, where),
      () => openFallback(TOKEN, text, { ...where, environment: 'acme/other' }),
      () => openFallback(TOKEN, text, { ...where, server: 'http://evil:8080' }),
      () => {
        const file = JSON.parse(text) as { sealed: string }
        const bytes = Buffer.from(file.sealed, 'base64')
        bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 1
        return openFallback(
          TOKEN,
          JSON.stringify({ ...file, sealed: bytes.toString('base64') }),
          where,
        )
      },
      () => openFallback(TOKEN, 'not json', where),
    ]
    for (const refuse of refusals) {
      expect(refuse).toThrow(
        /^The fallback file does not hold a snapshot of acme\/(agent|other) on http/,
      )
    }
  })
})
