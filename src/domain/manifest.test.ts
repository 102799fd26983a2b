import { describe, expect, it } from 'vitest'
import { decodeRequirements, encodeRequirements, parseManifest } from './manifest.js'

const parse = (data: unknown) =>
  parseManifest(data, {
    source: 'coffer.yaml',
    locate: (path) => (path.length ? `line ${path.length}` : undefined),
  })

describe('parseManifest', () => {
  it('reads environment and requirements with optional flags and descriptions', () => {
    const { manifest, hasRequirements } = parse({
      environment: 'acme/support-agent',
      requirements: {
        secrets: [
          { key: 'OPENAI_API_KEY', description: 'GPT' },
          { key: 'DATABASE_URL', optional: true },
        ],
      },
    })
    expect(hasRequirements).toBe(true)
    expect(manifest).toEqual({
      environment: 'acme/support-agent',
      secrets: [
        { key: 'OPENAI_API_KEY', description: 'GPT', optional: false },
        { key: 'DATABASE_URL', optional: true },
      ],
    })
  })

  it('treats a document without requirements as no manifest', () => {
    expect(parse({ name: 'my-app', version: 1 }).hasRequirements).toBe(false)
    expect(parse(null).hasRequirements).toBe(false)
  })

  it('reports every problem with its path and the located line', () => {
    try {
      parse({
        environment: 'nope',
        requirements: {
          secrets: [
            { key: 'lower' },
            { description: 'x' },
            { key: 'A', optional: 'yes' },
            { key: 'B', extra: 1 },
            'str',
          ],
        },
      })
      expect.unreachable()
    } catch (error: any) {
      const details = error.items.map((i: any) => i.details)
      expect(details).toHaveLength(6)
      expect(details[0]).toBe('coffer.yaml line 1: environment must be a string like owner/name')
      expect(details.join('\n')).toContain('requirements.secrets.0.key Invalid name')
      expect(details.join('\n')).toContain('requirements.secrets.1.key is required')
      expect(details.join('\n')).toContain('requirements.secrets.2.optional must be true or false')
      expect(details.join('\n')).toContain('unknown field "extra"')
      expect(error.items[1].param).toBe('body.requirements.secrets.0.key')
    }
  })

  it.each([
    ['a list at the top', []],
    ['a string at the top', 'requirements'],
    ['secrets as a mapping', { requirements: { secrets: { key: 'A' } } }],
    ['a duplicate key', { requirements: { secrets: [{ key: 'A' }, { key: 'A' }] } }],
    ['a reserved key', { requirements: { secrets: [{ key: 'COFFER_TOKEN' }] } }],
  ])('refuses %s', (_, data) => {
    expect(() => parse(data)).toThrow(expect.objectContaining({ code: 'invalid' }))
  })
})

describe('stored requirements', () => {
  it('round-trip through the column, and an empty list stores none', () => {
    const secrets = [
      { key: 'OPENAI_API_KEY', description: 'GPT calls', optional: false },
      { key: 'DATABASE_URL', optional: true },
    ]
    expect(decodeRequirements(encodeRequirements(secrets))).toEqual({ secrets })
    expect(encodeRequirements([])).toBeNull()
    expect(decodeRequirements(null)).toBeUndefined()
  })
})
