import { describe, expect, it } from 'vitest'
import { parseEnvironmentName, parseOwnerName, parseSecretName } from './names.js'

describe('parseSecretName', () => {
  it.each(['A', 'OPENAI_API_KEY', 'X1', 'A_B_C_9', `A${'B'.repeat(254)}`])('accepts %s', (name) => {
    expect(parseSecretName(name)).toBe(name)
  })

  it.each([
    ['', 'invalid'],
    ['lower', 'invalid'],
    ['1ABC', 'invalid'],
    ['_ABC', 'invalid'],
    ['API-KEY', 'invalid'],
    ['API KEY', 'invalid'],
    ['KEY_É', 'invalid'],
    [`A${'B'.repeat(255)}`, 'invalid'],
    ['COFFER_TOKEN', 'reserved_name'],
    ['COFFER_', 'reserved_name'],
    ['LD_PRELOAD', 'reserved_name'],
    ['LD_AUDIT', 'reserved_name'],
    ['DYLD_INSERT_LIBRARIES', 'reserved_name'],
  ])('refuses %j with %s', (name, code) => {
    expect(() => parseSecretName(name)).toThrow(expect.objectContaining({ code }))
  })

  it('keeps a pasted value out of the message by clipping and masking the echo', () => {
    const pasted = `sk-${'x'.repeat(200)}\u0007`
    try {
      parseSecretName(pasted)
      expect.unreachable()
    } catch (error) {
      expect(String(error)).not.toContain('x'.repeat(100))
      expect(String(error)).not.toContain('\u0007')
    }
  })
})

describe('parseOwnerName', () => {
  it.each(['a', 'acme', 'acme-corp', 'a1', '9lives', 'a'.repeat(39)])('accepts %s', (name) => {
    expect(parseOwnerName(name)).toBe(name)
  })
  it.each(['', 'Acme', '-acme', 'acme-', 'a_b', 'a.b', 'a'.repeat(40), 'ünï'])(
    'refuses %j',
    (name) => {
      expect(() => parseOwnerName(name)).toThrow(expect.objectContaining({ code: 'invalid' }))
    },
  )
})

describe('parseEnvironmentName', () => {
  it.each(['support-agent', 'prod', 'v1.2', 'a_b', '0'])('accepts %s', (name) => {
    expect(parseEnvironmentName(name)).toBe(name)
  })
  it.each(['', '.', '..', '.hidden', 'Prod', 'a/b', 'a'.repeat(65), '%2e%2e'])(
    'refuses %j',
    (name) => {
      expect(() => parseEnvironmentName(name)).toThrow(expect.objectContaining({ code: 'invalid' }))
    },
  )
})
