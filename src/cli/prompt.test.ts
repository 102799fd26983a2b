import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { reportFailure } from './failure.js'
import {
  createPrompter,
  PromptInterrupted,
  readStdin,
  stripTrailingNewline,
  typeKeys,
} from './prompt.js'

describe('typeKeys', () => {
  it.each([
    ['abc', '', 'abc', 'typing'],
    ['abc\r', '', 'abc', 'enter'],
    ['abc\n', '', 'abc', 'enter'],
    ['ab\u007fc\r', '', 'ac', 'enter'],
    ['ab\bc', '', 'ac', 'typing'],
    ['\u007f\u007fa', '', 'a', 'typing'],
    ['abc\u0015d', '', 'd', 'typing'],
    ['\u001b[A', 'x', 'x', 'typing'],
    ['\u0004', '', '', 'enter'],
    ['a\u0003', '', 'a', 'interrupt'],
  ])('turns %j after %j into %j (%s)', (chunk, before, text, outcome) => {
    const state = typeKeys(before, chunk, true)
    expect(state.text).toBe(text)
    expect(state.outcome).toBe(outcome)
  })

  it('removes an emoji with one backspace', () => {
    expect(typeKeys('a👍🏽', '\u007f', true).text).toBe('a')
  })

  it('echoes nothing when hidden', () => {
    expect(typeKeys('', 'secret\u007f', true).echo).toBe('')
  })

  it('echoes typed characters and erases on backspace when visible', () => {
    expect(typeKeys('', 'ab\u007f', false).echo).toBe('ab\b \b')
  })
})

describe('stripTrailingNewline', () => {
  it.each([
    ['value\n', 'value'],
    ['value\n\n', 'value\n'],
    ['value', 'value'],
    ['line 1\nline 2\n', 'line 1\nline 2'],
    ['', ''],
  ])('turns %j into %j', (input, output) => {
    expect(stripTrailingNewline(input)).toBe(output)
  })
})

describe('readStdin', () => {
  it('returns every byte of the stream', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x41, 0x0a])
    const input = Readable.from([bytes.subarray(0, 2), bytes.subarray(2)])
    expect(await readStdin(input)).toEqual(bytes)
  })
})

describe('a prompt on a terminal', () => {
  /** A stream that passes for a terminal: raw mode is recorded, keys are what the test writes. */
  function terminal() {
    const input = Object.assign(new PassThrough(), {
      isTTY: true,
      isRaw: false,
      setRawMode(raw: boolean) {
        input.isRaw = raw
        return input
      },
    })
    const output = new PassThrough()
    let shown = ''
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()))
    const prompter = createPrompter({
      input: input as unknown as NodeJS.ReadStream,
      output,
    })
    return { input, prompter, shown: () => shown }
  }

  it('answers the typed line, and leaves raw mode as it found it', async () => {
    const { input, prompter, shown } = terminal()
    const answer = prompter.ask('Name: ')
    input.write('alice\r')
    expect(await answer).toBe('alice')
    expect(input.isRaw).toBe(false)
    expect(shown()).toBe('Name: alice\n')
  })

  it('rejects on Ctrl-C, which the CLI reports as exit 130 without a message', async () => {
    const { input, prompter } = terminal()
    const answer = prompter.askHidden('Password: ')
    input.write('secr\u0003')
    const error = await answer.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PromptInterrupted)
    expect(input.isRaw).toBe(false)
    expect(reportFailure(error, 'login')).toBe(130)
  })
})
