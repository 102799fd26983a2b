import { describe, expect, it } from 'vitest'
import { planImport } from './import-plan.js'
import type { EntrySource } from './types.js'

const holders = new Map<string, EntrySource>([
  ['SECRET', 'direct'],
  ['VAR', 'variable'],
  ['LINKED', 'linked'],
])
const names = ['NEW', 'SECRET', 'VAR', 'LINKED']

describe('planImport', () => {
  it('with fail, refuses listing every conflicting name', () => {
    try {
      planImport(names, holders, 'secret', 'fail')
      expect.unreachable()
    } catch (error: any) {
      expect(error.items.map((i: any) => i.details)).toEqual([
        'A direct secret with the name SECRET already exists',
        'An environment variable with the name VAR already exists',
        'A linked global secret with the name LINKED already exists',
      ])
      expect(error.code).toBe('name_conflict')
    }
  })

  it('with skip, creates what is free and skips the rest', () => {
    expect(planImport(names, holders, 'variable', 'skip')).toEqual({
      create: ['NEW'],
      update: [],
      skip: ['SECRET', 'VAR', 'LINKED'],
    })
  })

  it('with overwrite, replaces the same kind only and refuses other kinds', () => {
    expect(planImport(['NEW', 'VAR'], holders, 'variable', 'overwrite')).toEqual({
      create: ['NEW'],
      update: ['VAR'],
      skip: [],
    })
    expect(() => planImport(['SECRET'], holders, 'variable', 'overwrite')).toThrow(
      'A direct secret with the name SECRET already exists',
    )
    expect(planImport(['SECRET'], holders, 'secret', 'overwrite').update).toEqual(['SECRET'])
  })
})
