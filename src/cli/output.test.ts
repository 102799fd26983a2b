import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CofferError } from '../domain/errors.js'
import {
  cellText,
  createOutput,
  formatError,
  formatFields,
  formatTable,
  formatTime,
  printable,
} from './output.js'

function captured(json: boolean) {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  return { output: createOutput({ json, stdout, stderr }), out: () => out, err: () => err }
}

describe('formatTable', () => {
  it('pads columns to the widest cell and leaves no trailing spaces', () => {
    const rows = [
      { name: 'API_KEY', version: 1, hint: null },
      { name: 'DATABASE_URL', version: 12, hint: '…abcd' },
    ]
    const table = formatTable(rows, [
      { header: 'NAME', cell: (row) => row.name },
      { header: 'VERSION', cell: (row) => row.version },
      { header: 'HINT', cell: (row) => row.hint },
    ])
    expect(table.split('\n')).toEqual([
      'NAME          VERSION  HINT',
      'API_KEY       1        -',
      'DATABASE_URL  12       …abcd',
    ])
  })

  it('prints the header alone for no rows', () => {
    expect(formatTable([], [{ header: 'NAME', cell: () => 'x' }])).toBe('NAME')
  })

  it('keeps a row on one line when a cell holds a newline', () => {
    const table = formatTable(
      [{ description: 'two\nlines' }],
      [{ header: 'DESCRIPTION', cell: (row) => row.description }],
    )
    expect(table.split('\n')).toEqual(['DESCRIPTION', 'two lines'])
  })
})

describe('formatFields', () => {
  it('aligns values after their labels', () => {
    expect(
      formatFields([
        ['name', 'API_KEY'],
        ['description', null],
      ]),
    ).toBe('name:        API_KEY\ndescription: -')
  })
})

describe('cellText', () => {
  it.each([
    [null, '-'],
    [undefined, '-'],
    ['', '-'],
    [3, '3'],
    [false, 'false'],
    [{ id: 'c1', username: 'ada' }, 'ada'],
    [{ id: 'c1' }, 'c1'],
    [['a'], '["a"]'],
  ])('shows %j as %j', (value, text) => {
    expect(cellText(value)).toBe(text)
  })
})

describe('formatTime', () => {
  it('shortens an ISO timestamp to the second, in UTC', () => {
    expect(formatTime('2025-01-31T12:34:56.789Z')).toBe('2025-01-31 12:34:56Z')
  })

  it('shows what is not a timestamp as it is', () => {
    expect(formatTime('soon')).toBe('soon')
    expect(formatTime(null)).toBe('-')
  })
})

describe('printable', () => {
  it('neutralizes terminal escape sequences but keeps line breaks', () => {
    expect(printable('a\u001b[2Jb\nc\u0007')).toBe('a?[2Jb\nc?')
  })
})

describe('formatError', () => {
  it('prints the message and a hint', () => {
    const error = new CofferError('unauthenticated', 'Not logged in to http://x')
    expect(formatError(error, 'Run `coffer login`.')).toBe(
      'coffer: Not logged in to http://x\nRun `coffer login`.',
    )
  })

  it('lists every item when there are several', () => {
    const error = new CofferError('invalid', 'Invalid name', {
      param: 'body.name',
      more: [{ code: 'invalid', param: '', details: 'Too long' }],
    })
    expect(formatError(error)).toBe('coffer: Invalid name\n  body.name: Invalid name\n  Too long')
  })
})

describe('createOutput', () => {
  it('prints data as JSON on stdout with --json and stays quiet about confirmations', () => {
    const { output, out, err } = captured(true)
    output.result({ id: 'c1' }, () => 'human')
    output.done('Deleted secret X')
    expect(JSON.parse(out())).toEqual({ id: 'c1' })
    expect(err()).toBe('')
  })

  it('prints text for people and keeps warnings and notices on stderr', () => {
    const { output, out, err } = captured(false)
    output.result({ id: 'c1' }, () => 'human')
    output.done('Deleted secret X')
    output.warn('careful')
    output.notice('fyi')
    expect(out()).toBe('human\nDeleted secret X\n')
    expect(err()).toBe('coffer: warning: careful\nfyi\n')
  })

  it('writes nothing for an empty human result', () => {
    const { output, out } = captured(false)
    output.result([], () => '')
    expect(out()).toBe('')
  })
})
