import { describe, expect, it } from 'vitest'
import { parseDotenvImport } from './dotenv.js'

describe('parseDotenvImport', () => {
  it('reads quotes, multi-line values, export, comments and CRLF with dotenv’s rules', () => {
    const text = [
      '# a comment',
      'export API_KEY=sk-123',
      'QUOTED="hello world" # trailing comment',
      "SINGLE='x=y'",
      'MULTI="line one',
      'line two"',
      'EMPTY=',
      'WINDOWS=crlf\r',
      '',
    ].join('\n')
    const { entries, duplicates } = parseDotenvImport(text)
    expect(entries).toEqual([
      { name: 'API_KEY', value: 'sk-123', line: 2 },
      { name: 'QUOTED', value: 'hello world', line: 3 },
      { name: 'SINGLE', value: 'x=y', line: 4 },
      { name: 'MULTI', value: 'line one\nline two', line: 5 },
      { name: 'EMPTY', value: '', line: 7 },
      { name: 'WINDOWS', value: 'crlf', line: 8 },
    ])
    expect(duplicates).toEqual([])
  })

  it('lets the last definition win and reports duplicates with their lines', () => {
    const { entries, duplicates } = parseDotenvImport('A=1\nB=2\nA=3\n')
    expect(entries).toEqual([
      { name: 'B', value: '2', line: 2 },
      { name: 'A', value: '3', line: 3 },
    ])
    expect(duplicates).toEqual([{ name: 'A', lines: [1, 3] }])
  })

  it('refuses invalid and reserved names, one error per line, without values', () => {
    try {
      parseDotenvImport('GOOD=1\nbad-name=secret-value\nCOFFER_TOKEN=x\n9LIVES=y\n')
      expect.unreachable()
    } catch (error: any) {
      expect(error.items.map((i: any) => [i.code, i.details.slice(0, 8)])).toEqual([
        ['invalid', 'line 2: '],
        ['reserved_name', 'line 3: '],
        ['invalid', 'line 4: '],
      ])
      expect(JSON.stringify(error.items)).not.toContain('secret-value')
    }
  })

  it.each([
    ['binary garbage', '\u0000\u0001\u0002PNG'],
    ['a NUL inside', 'A=1\u0000\n'],
  ])('refuses %s as not a .env file', (_, text) => {
    expect(() => parseDotenvImport(text)).toThrow(expect.objectContaining({ code: 'invalid' }))
  })

  it('reads an empty file as nothing', () => {
    expect(parseDotenvImport('')).toEqual({ entries: [], duplicates: [] })
  })
})
