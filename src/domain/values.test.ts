import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { Redacted } from './redacted.js'
import { hintOf, parseDescription, parseValue } from './values.js'

describe('parseValue', () => {
  it('keeps multi-line and unicode values byte for byte', () => {
    const value = 'line1\r\nline2\n\ttabs ✓ 🔑'
    expect(parseValue(value).reveal()).toBe(value)
  })

  it('accepts exactly 65,536 UTF-8 bytes and refuses one more as too_large', () => {
    expect(parseValue('é'.repeat(32_768)).reveal()).toHaveLength(32_768)
    expect(() => parseValue('é'.repeat(32_768) + 'x')).toThrow(
      expect.objectContaining({ code: 'too_large' }),
    )
  })

  it.each([
    ['an empty secret', '', {}],
    ['a NUL', 'a\u0000b', {}],
    ['bad base64 for a file', 'abc', { isFile: true }],
    ['base64 with spaces', 'YW Jj', { isFile: true }],
    ['base64url for a file', 'YWJj-_', { isFile: true }],
  ])('refuses %s as invalid_value', (_, value, rules) => {
    expect(() => parseValue(value, 'body.value', rules)).toThrow(
      expect.objectContaining({
        code: 'invalid_value',
        message: expect.not.stringContaining(value || '\u0001'),
      }),
    )
  })

  it('lets variables be empty', () => {
    expect(parseValue('', 'body.value', { allowEmpty: true }).reveal()).toBe('')
  })

  it('accepts padded and unpadded-length standard base64 for files', () => {
    for (const file of ['YWJj', 'YWI=', 'YQ==', 'KysvLw=='])
      expect(parseValue(file, 'v', { isFile: true }).reveal()).toBe(file)
  })
})

describe('hintOf', () => {
  it.each([
    ['1234567890123456789', null],
    ['12345678901234567890', '…7890'],
    ['sk-🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑ab', '…🔑🔑ab'],
  ])('hints %s as %s', (value, hint) => {
    expect(hintOf(Redacted.of(value))).toBe(hint)
  })
})

describe('parseDescription', () => {
  it('counts characters, not bytes, against the 500 limit', () => {
    expect(parseDescription('é'.repeat(500))).toHaveLength(500)
    expect(() => parseDescription('d'.repeat(501))).toThrow(
      expect.objectContaining({ code: 'invalid' }),
    )
  })
})

describe('Redacted', () => {
  it('prints as [redacted] through every path but reveal()', () => {
    const secret = Redacted.of('hunter2')
    expect(String(secret)).toBe('[redacted]')
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the point of the test
    expect(`${secret}`).toBe('[redacted]')
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}')
    expect(inspect({ secret })).not.toContain('hunter2')
    expect(secret.reveal()).toBe('hunter2')
  })
})
