import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { aadFor, open, seal } from './envelope.js'

const key = randomBytes(32)
const row = { kind: 'secret', rowId: 'c1', ownerId: 'o1', name: 'API_KEY', version: 1 } as const

describe('seal / open', () => {
  it('round-trips a value under the same key and AAD', () => {
    const plaintext = Buffer.from('line one\nline two ✓', 'utf8')
    const sealed = seal(key, plaintext, aadFor(row))
    expect(open(key, sealed, aadFor(row)).equals(plaintext)).toBe(true)
  })

  it('uses a fresh nonce for every seal', () => {
    const a = seal(key, Buffer.from('same'), aadFor(row))
    const b = seal(key, Buffer.from('same'), aadFor(row))
    expect(a.equals(b)).toBe(false)
  })

  it.each([
    ['another row', { ...row, rowId: 'c2' }],
    ['another owner', { ...row, ownerId: 'o2' }],
    ['another name', { ...row, name: 'OTHER' }],
    ['another version', { ...row, version: 2 }],
    ['another kind', { ...row, kind: 'direct' as const }],
  ])('refuses a ciphertext moved to %s as an integrity error', (_, other) => {
    const sealed = seal(key, Buffer.from('value'), aadFor(row))
    expect(() => open(key, sealed, aadFor(other))).toThrow(
      expect.objectContaining({ code: 'integrity_error' }),
    )
  })

  it('refuses a wrong key, a flipped bit and a truncated tag the same way', () => {
    const sealed = seal(key, Buffer.from('value'), aadFor(row))
    const flipped = Buffer.from(sealed)
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1
    for (const [k, s] of [
      [randomBytes(32), sealed],
      [key, flipped],
      [key, sealed.subarray(0, 20)],
    ] as const) {
      expect(() => open(k, s, aadFor(row))).toThrow(
        expect.objectContaining({ code: 'integrity_error' }),
      )
    }
  })

  it('never includes the plaintext in the integrity error', () => {
    const sealed = seal(key, Buffer.from('sentinel-value-123'), aadFor(row))
    try {
      open(key, sealed, aadFor({ ...row, rowId: 'x' }))
      expect.unreachable()
    } catch (error) {
      expect(JSON.stringify(error) + String(error)).not.toContain('sentinel-value-123')
    }
  })
})
