import { describe, expect, it } from 'vitest'
import { holderDetails, nameTaken } from './conflicts.js'

describe('holderDetails', () => {
  it.each([
    ['direct', 'OPENAI_API_KEY', 'A direct secret with the name OPENAI_API_KEY already exists'],
    ['variable', 'DEBUG', 'An environment variable with the name DEBUG already exists'],
    ['linked', 'DB', 'A linked global secret with the name DB already exists'],
    [
      'provider',
      'OPENAI_API_KEY',
      'An attached provider connection with the name OPENAI_API_KEY already exists',
    ],
  ] as const)('names a %s holder as SPEC words it', (holder, name, words) => {
    expect(holderDetails(holder, name)).toBe(words)
    expect(nameTaken(holder, name)).toMatchObject({ code: 'name_conflict', message: words })
  })
})
