import { describe, expect, it } from 'vitest'
import { environmentPath, formatEnvironmentRef, parseEnvironmentRef } from './environment-ref.js'

describe('parseEnvironmentRef', () => {
  it('splits owner/name', () => {
    expect(parseEnvironmentRef('acme/support-agent')).toEqual({
      owner: 'acme',
      name: 'support-agent',
    })
  })

  it.each(['acme', '/prod', 'acme/', 'a/b/c', 'acme /prod', ''])(
    'refuses %j as a usage error',
    (text) => {
      expect(() => parseEnvironmentRef(text)).toThrow(
        expect.objectContaining({ code: 'usage', message: expect.stringContaining('owner/name') }),
      )
    },
  )
})

describe('environmentPath', () => {
  it('encodes every part as one segment', () => {
    const ref = { owner: 'acme', name: 'a b?' }
    expect(environmentPath(ref)).toBe('/environments/acme/a%20b%3F')
    expect(environmentPath(ref, 'secrets', 'c1', 'rotate')).toBe(
      '/environments/acme/a%20b%3F/secrets/c1/rotate',
    )
    expect(formatEnvironmentRef(ref)).toBe('acme/a b?')
  })
})
