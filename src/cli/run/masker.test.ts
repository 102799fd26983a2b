import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MASK_MIN_LENGTH, Masker, maskedForms, maskingStream, type MaskedValue } from './masker.js'

/** Masks `input` split into chunks at `cuts`. */
function maskInChunks(values: readonly MaskedValue[], input: Buffer, cuts: readonly number[]) {
  const masker = new Masker(values)
  const out: Buffer[] = []
  let start = 0
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b).concat(input.length)) {
    out.push(masker.push(input.subarray(start, cut)))
    start = cut
  }
  out.push(masker.end())
  return { output: Buffer.concat(out).toString('utf8') }
}

const maskAtOnce = (values: readonly MaskedValue[], input: string) => {
  const masker = new Masker(values)
  return Buffer.concat([masker.push(Buffer.from(input, 'utf8')), masker.end()]).toString('utf8')
}

const secretValue = fc.stringMatching(/^[a-z0-9+/=%é\n -]{4,24}$/)
const NAMES = ['API_KEY', 'DB_URL', 'TOKEN', 'WEBHOOK']

describe('Masker', () => {
  it('replaces a value and its base64, base64url and percent-encoded forms', () => {
    const value = 'sk-é/+ tést?&=~'
    const values = [{ name: 'API_KEY', value }]
    const raw = Buffer.from(value, 'utf8')
    const input = [
      `plain ${value}`,
      `b64 ${raw.toString('base64')}`,
      `b64url ${raw.toString('base64url')}`,
      `url ${encodeURIComponent(value)}`,
    ].join('\n')
    expect(maskAtOnce(values, input)).toBe(
      [
        'plain [masked:API_KEY]',
        'b64 [masked:API_KEY]',
        'b64url [masked:API_KEY]',
        'url [masked:API_KEY]',
      ].join('\n'),
    )
  })

  it('masks multi-line values and values split across chunks, without reordering', () => {
    const values = [{ name: 'PEM', value: '-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----' }]
    const input = Buffer.from(`start\n${values[0]!.value}\nend\n`, 'utf8')
    for (let cut = 0; cut <= input.length; cut += 1) {
      expect(maskInChunks(values, input, [cut]).output).toBe('start\n[masked:PEM]\nend\n')
    }
  })

  it('prefers the longer of two values that start at one position, also across chunks', () => {
    const values = [
      { name: 'SHORT', value: 'abcd' },
      { name: 'LONG', value: 'abcdefgh' },
    ]
    const input = Buffer.from('x abcdefgh y abcdxx', 'utf8')
    for (let cut = 0; cut <= input.length; cut += 1) {
      expect(maskInChunks(values, input, [cut]).output).toBe('x [masked:LONG] y [masked:SHORT]xx')
    }
  })

  it('leaves values shorter than the minimum, and variables, alone', () => {
    const masker = new Masker([{ name: 'PIN', value: 'abc' }])
    expect(masker.active).toBe(false)
    expect(maskAtOnce([{ name: 'PIN', value: 'abc' }], 'abc')).toBe('abc')
    expect(MASK_MIN_LENGTH).toBe(4)
  })

  it('holds nothing back when no value can start at the end of a chunk', () => {
    const masker = new Masker([{ name: 'K', value: 'secret' }])
    expect(masker.push(Buffer.from('hello world')).toString()).toBe('hello world')
    expect(masker.push(Buffer.from('hello sec')).toString()).toBe('hello ')
    expect(masker.push(Buffer.from('ond')).toString()).toBe('second')
    expect(masker.end().length).toBe(0)
  })

  it('gives the same output for any chunking as for the whole stream (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(secretValue, { minLength: 1, maxLength: 4 }),
        fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.nat(7)), { maxLength: 20 }),
        fc.array(fc.nat(400), { maxLength: 12 }),
        (secrets, parts, cuts) => {
          const values = secrets.map((value, i) => ({ name: NAMES[i]!, value }))
          const forms = secrets.flatMap((value) => maskedForms(value))
          // Text made of random strings and the values' forms, so matches really occur.
          const input = parts
            .map((part) => (typeof part === 'number' ? forms[part % forms.length]! : part))
            .join('')
          const bytes = Buffer.from(input, 'utf8')
          const whole = maskAtOnce(values, input)
          const chunked = maskInChunks(
            values,
            bytes,
            cuts.map((cut) => cut % (bytes.length + 1)),
          )
          expect(chunked.output).toBe(whole)
          for (const value of secrets) expect(whole.includes(value)).toBe(false)
        },
      ),
      { numRuns: 400 },
    )
  })

  it('never holds back more than the longest form of a value needs (property)', () => {
    fc.assert(
      fc.property(secretValue, fc.string({ maxLength: 200 }), fc.nat(200), (value, input, cut) => {
        const masker = new Masker([{ name: 'K', value }])
        const bytes = Buffer.from(input, 'utf8')
        const at = cut % (bytes.length + 1)
        const out = masker.push(bytes.subarray(0, at))
        const longest = Math.max(...maskedForms(value).map((f) => Buffer.byteLength(f)))
        // Unless something was masked, the output is the input minus a held tail.
        if (!out.includes('[masked:')) expect(at - out.length).toBeLessThan(longest)
      }),
      { numRuns: 300 },
    )
  })
})

describe('maskingStream', () => {
  it('masks a stream written one byte at a time', async () => {
    const value = 'hunter2-password'
    const input = Buffer.from(`a ${value} b ${Buffer.from(value).toString('base64')} c`)
    const bytes = [...input].map((byte) => Buffer.from([byte]))
    const masked = await text(Readable.from(bytes).pipe(maskingStream([{ name: 'PW', value }])))
    expect(masked).toBe('a [masked:PW] b [masked:PW] c')
  })
})
