import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  GENESIS_HASH,
  canonicalJson,
  chainHash,
  verifyAuditChain,
  type AuditBody,
  type AuditEvent,
} from './audit.js'

const sha = (text: string) => createHash('sha256').update(text).digest('hex')
const body = (seq: number, action = 'secret.create'): AuditBody => ({
  id: `c${String(seq).padStart(24, '0')}`,
  seq,
  at: `2026-01-01T00:00:0${seq}.000Z`,
  owner: 'alice',
  actor: { kind: 'user', id: 'u1', name: 'alice' },
  action,
  target: { name: 'API_KEY' },
  ip: '127.0.0.1',
  requestId: 'r1',
  outcome: 'success',
})
function chain(count: number): AuditEvent[] {
  let prev = GENESIS_HASH
  return Array.from({ length: count }, (_, i) => {
    const b = body(i + 1)
    prev = chainHash(prev, b, sha)
    return { ...b, hash: prev }
  })
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}',
    )
  })
})

describe('verifyAuditChain', () => {
  it('accepts an intact chain in any input order', () => {
    expect(verifyAuditChain(chain(5).reverse(), sha)).toEqual({ ok: true, count: 5 })
  })

  it('hashes the first event over 64 zeros', () => {
    const [first] = chain(1)
    expect(first!.hash).toBe(sha('0'.repeat(64) + canonicalJson(body(1))))
  })

  it('reports the first edited event', () => {
    const events = chain(4)
    events[2] = { ...events[2]!, action: 'secret.delete' }
    expect(verifyAuditChain(events, sha)).toMatchObject({ ok: false, brokenAt: 3 })
  })

  it('reports a removed event', () => {
    const events = chain(4).filter((e) => e.seq !== 2)
    expect(verifyAuditChain(events, sha)).toMatchObject({ ok: false, brokenAt: 2 })
  })
})
