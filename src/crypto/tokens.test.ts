import { describe, expect, it } from 'vitest'
import { hashToken, issueToken, sameHash } from './tokens.js'
import { hashPassword, verifyPassword } from './passwords.js'
import { ID_PATTERN, newId } from './ids.js'

describe('issueToken', () => {
  it.each(['cfp_', 'cft_'] as const)('issues %s + 43 base64url characters and its SHA-256', (p) => {
    const { token, hash } = issueToken(p)
    expect(token).toMatch(new RegExp(`^${p}[A-Za-z0-9_-]{43}$`))
    expect(hash).toBe(hashToken(token))
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('compares digests by value', () => {
    const { hash } = issueToken('cfp_')
    expect(sameHash(hash, hash)).toBe(true)
    expect(sameHash(hash, issueToken('cfp_').hash)).toBe(false)
    expect(sameHash(hash, '')).toBe(false)
  })
})

describe('passwords', () => {
  it('verifies the right password only, with the SPEC parameters', async () => {
    const stored = await hashPassword('correct horse')
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/)
    expect(await verifyPassword('correct horse', stored)).toBe(true)
    expect(await verifyPassword('wrong horse', stored)).toBe(false)
    expect(await verifyPassword('x', 'garbage')).toBe(false)
  })
})

describe('newId', () => {
  it('makes CUID-shaped ids that sort by creation time', () => {
    const a = newId(1_700_000_000_000)
    const b = newId(1_700_000_000_001)
    expect(a).toMatch(ID_PATTERN)
    expect(a < b).toBe(true)
  })
})
