import { describe, expect, it } from 'vitest'
import { CofferError } from '../domain/errors.js'
import { parseRequirements, type RequirementsInput } from './requirements.js'

const failure = (input: RequirementsInput): CofferError => {
  try {
    parseRequirements(input)
  } catch (error) {
    if (error instanceof CofferError) return error
    throw error
  }
  throw new Error('expected parseRequirements to throw')
}

describe('parseRequirements', () => {
  it('reads the JSON form', () => {
    expect(
      parseRequirements({
        secrets: [
          { key: 'A', description: 'd' },
          { key: 'B', optional: true },
        ],
      }),
    ).toEqual({
      secrets: [
        { key: 'A', description: 'd', optional: false },
        { key: 'B', optional: true },
      ],
    })
  })

  it('points JSON problems at body.secrets, as the client sent them', () => {
    const error = failure({ secrets: [{ key: 'A' }, { key: 'bad' }, { key: 'A' }] })
    expect(error.items.map((i) => [i.param, i.code])).toEqual([
      ['body.secrets.1.key', 'invalid'],
      ['body.secrets.2.key', 'invalid'],
    ])
    expect(error.items[1]?.details).toMatch(
      /^The request body: secrets\.2\.key A is declared twice$/,
    )
  })

  it('requires `secrets` in the JSON form', () => {
    expect(failure({ secrets: undefined }).items[0]).toMatchObject({ param: 'body.secrets' })
  })

  it('reads YAML and names the line of each problem', () => {
    expect(parseRequirements({ yaml: 'requirements:\n  secrets:\n    - key: K\n' })).toEqual({
      secrets: [{ key: 'K', optional: false }],
    })
    expect(failure({ yaml: 'requirements:\n  secrets:\n    - key: k\n' }).message).toMatch(
      /^The YAML body line 3: /,
    )
  })

  it.each([['name: app\n'], [''], ['requirements:\n']])(
    'refuses YAML that declares no requirements (%j)',
    (yaml) => {
      expect(failure({ yaml }).message).toMatch(/declares no requirements/)
    },
  )
})
