import { describe, expect, it } from 'vitest'
import type { Requirement } from '../domain/manifest.js'
import {
  describeEntry,
  describeStatus,
  explainEnvironment,
  type ExplainedEntry,
  type ListedSecret,
  type ListedVariable,
} from './explanation.js'

const direct = (name: string, id = `d-${name}`): ListedSecret => ({ id, name, type: 'direct' })
const linked = (name: string, id = `l-${name}`): ListedSecret => ({
  id,
  name,
  type: 'linked',
  secretId: `g-${name}`,
})
const variable = (name: string, id = `v-${name}`): ListedVariable => ({ id, name })
const required = (key: string): Requirement => ({ key, optional: false })
const optional = (key: string): Requirement => ({ key, optional: true })

describe('explainEnvironment', () => {
  it('names the winner by precedence and lists what it shadows, strongest first', () => {
    // Only data that bypassed the conflict rules holds one name three times; precedence decides.
    const { names } = explainEnvironment(
      {
        secrets: [linked('API_KEY'), direct('API_KEY')],
        variables: [variable('API_KEY')],
        requirements: null,
      },
      ['API_KEY'],
    )
    expect(names).toEqual([
      {
        name: 'API_KEY',
        status: 'injected',
        winner: { source: 'direct', id: 'd-API_KEY' },
        shadowed: [
          { source: 'linked', id: 'l-API_KEY', secretId: 'g-API_KEY' },
          { source: 'variable', id: 'v-API_KEY' },
        ],
        requirement: null,
      },
    ])
  })

  it('ranks a provider above variables and below direct secrets, naming its connection', () => {
    const { names } = explainEnvironment(
      {
        secrets: [direct('OPENAI_API_KEY')],
        variables: [variable('OPENAI_BASE_URL')],
        providers: [
          {
            id: 'p-1',
            connectionId: 'conn-1',
            provider: 'custom',
            names: ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
          },
        ],
        requirements: null,
      },
      ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    )
    const provider: ExplainedEntry = {
      source: 'provider',
      id: 'p-1',
      connectionId: 'conn-1',
      provider: 'custom',
    }
    expect(names.map((row) => [row.name, row.winner, row.shadowed])).toEqual([
      ['OPENAI_API_KEY', { source: 'direct', id: 'd-OPENAI_API_KEY' }, [provider]],
      ['OPENAI_BASE_URL', provider, [{ source: 'variable', id: 'v-OPENAI_BASE_URL' }]],
    ])
    expect(describeEntry(provider)).toBe('provider custom p-1')
  })

  it('explains every name set or declared, sorted, when none is asked for', () => {
    const explanation = explainEnvironment({
      secrets: [direct('ZED'), linked('ALPHA')],
      variables: [variable('MIDDLE')],
      requirements: [required('NEEDED')],
    })
    expect(explanation.hasRequirements).toBe(true)
    expect(explanation.names.map((row) => [row.name, row.status])).toEqual([
      ['ALPHA', 'filtered'],
      ['MIDDLE', 'filtered'],
      ['NEEDED', 'missing'],
      ['ZED', 'filtered'],
    ])
  })

  it.each([
    ['a declared required key that is set', [required('KEY')], ['KEY'], 'injected', 'required'],
    ['a declared optional key that is set', [optional('KEY')], ['KEY'], 'injected', 'optional'],
    ['an undeclared key that is set', [required('OTHER')], ['KEY'], 'filtered', null],
    ['a required key that is not set', [required('KEY')], [], 'missing', 'required'],
    ['an optional key that is not set', [optional('KEY')], [], 'not_set', 'optional'],
    ['a key without requirements, not set', null, [], 'not_set', null],
    ['a key without requirements, set', null, ['KEY'], 'injected', null],
  ] as const)('reports %s', (_case, requirements, set, status, requirement) => {
    const [row] = explainEnvironment(
      { secrets: set.map((name) => direct(name)), variables: [], requirements },
      ['KEY'],
    ).names
    expect(row).toMatchObject({ name: 'KEY', status, requirement })
  })

  it('keeps the order asked for and asks each name once', () => {
    const { names } = explainEnvironment(
      { secrets: [], variables: [variable('B'), variable('A')], requirements: null },
      ['B', 'NOPE', 'A', 'B'],
    )
    expect(names.map((row) => [row.name, row.winner?.id ?? null])).toEqual([
      ['B', 'v-B'],
      ['NOPE', null],
      ['A', 'v-A'],
    ])
  })

  it('treats an empty requirements list as none', () => {
    const explanation = explainEnvironment(
      { secrets: [direct('KEY')], variables: [], requirements: [] },
      ['KEY'],
    )
    expect(explanation.hasRequirements).toBe(false)
    expect(explanation.names[0]?.status).toBe('injected')
  })
})

describe('describeStatus and describeEntry', () => {
  it('says what happens at run time in words', () => {
    const base = { name: 'K', winner: null, shadowed: [] }
    expect(describeStatus({ ...base, status: 'injected', requirement: null })).toBe('injected')
    expect(describeStatus({ ...base, status: 'injected', requirement: 'required' })).toBe(
      'injected (required)',
    )
    expect(describeStatus({ ...base, status: 'filtered', requirement: null })).toBe(
      'not injected: not in the requirements',
    )
    expect(describeStatus({ ...base, status: 'missing', requirement: 'required' })).toBe(
      'MISSING: required',
    )
    expect(describeStatus({ ...base, status: 'not_set', requirement: 'optional' })).toBe(
      'not set (optional)',
    )
    expect(describeEntry({ source: 'linked', id: 'c1' })).toBe('linked secret c1')
  })
})
