import { describe, expect, it } from 'vitest'
import { entryRef, pickByRef, syncedText } from './env.js'

const what = { kind: 'secret', where: 'acme/prod', listCommand: 'coffer env secret list acme/prod' }
const ID_A = `c${'a'.repeat(24)}`
const ID_B = `c${'b'.repeat(24)}`

describe('pickByRef', () => {
  const items = [
    { id: ID_A, name: 'API_KEY' },
    { id: ID_B, name: 'TWICE' },
    { id: `c${'c'.repeat(24)}`, name: 'TWICE' },
  ]

  it('finds by id first, then by name', () => {
    expect(pickByRef(items, ID_B, what)).toBe(items[1])
    expect(pickByRef(items, 'API_KEY', what)).toBe(items[0])
    // An id wins over a name that happens to look the same.
    expect(
      pickByRef(
        [
          { id: 'X', name: 'Y' },
          { id: 'Z', name: 'X' },
        ],
        'X',
        what,
      ).id,
    ).toBe('X')
  })

  it('refuses a name held by several items as a usage error that asks for an id', () => {
    expect(() => pickByRef(items, 'TWICE', what)).toThrow(
      expect.objectContaining({ code: 'usage', message: expect.stringContaining('give one id') }),
    )
  })

  it('answers not_found naming the place and the command that lists', () => {
    expect(() => pickByRef(items, 'NOPE', what)).toThrow(
      expect.objectContaining({
        code: 'not_found',
        message:
          'No secret named NOPE in acme/prod. Run `coffer env secret list acme/prod` to see them.',
      }),
    )
    expect(() => pickByRef(items, `c${'9'.repeat(24)}`, what)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('No secret with id c999') }),
    )
  })
})

describe('entryRef', () => {
  it.each([
    ['API_KEY', undefined, 'API_KEY'],
    [undefined, 'API_KEY', 'API_KEY'],
    ['API_KEY', 'API_KEY', 'API_KEY'],
  ])('takes %j / --id %j', (positional, id, expected) => {
    expect(entryRef(positional, id)).toBe(expected)
  })

  it('refuses none and two different ones as usage errors', () => {
    expect(() => entryRef(undefined, undefined)).toThrow(expect.objectContaining({ code: 'usage' }))
    expect(() => entryRef('A', 'B')).toThrow(expect.objectContaining({ code: 'usage' }))
  })
})

describe('syncedText', () => {
  it('shows true, false and null (no recent consumer)', () => {
    expect([true, false, null, undefined].map(syncedText)).toEqual(['yes', 'no', '-', '-'])
  })
})
