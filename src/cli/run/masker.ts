// `coffer run --mask` (SPEC.md §4): replaces every injected secret value, and its base64,
// base64url and percent-encoded forms, with `[masked:NAME]` in a byte stream that arrives in
// arbitrary chunks. The output equals masking the whole stream at once (leftmost, then longest
// match), whatever the chunk boundaries: a tail that could still grow into a match is held until
// the next chunk decides it, and nothing else is ever held back.
import { Transform, type TransformCallback } from 'node:stream'

export interface MaskedValue {
  readonly name: string
  /** Security: the plaintext; it lives only in this process's memory. */
  readonly value: string
}

interface Pattern {
  readonly bytes: Buffer
  readonly replacement: Buffer
}

/** Values shorter than this are not masked: masking "1" or "on" would shred the output and
 *  reveal the value by where the markers fall. The CLI says so when it skips one. */
export const MASK_MIN_LENGTH = 4

/** The forms of a value that are masked, longest first; duplicates removed. */
export function maskedForms(value: string): string[] {
  const raw = Buffer.from(value, 'utf8')
  const base64 = raw.toString('base64')
  const forms = new Set([
    value,
    base64,
    base64.replace(/=+$/, ''),
    raw.toString('base64url'),
    encodeURIComponent(value),
  ])
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length)
}

export class Masker {
  private readonly patterns: readonly Pattern[]
  /** Patterns by their first byte, to test a position quickly. */
  private readonly byFirstByte = new Map<number, Pattern[]>()
  private readonly longest: number
  private pending: Buffer = Buffer.alloc(0)

  constructor(values: readonly MaskedValue[]) {
    const patterns: Pattern[] = []
    const seen = new Set<string>()
    for (const { name, value } of values) {
      if (value.length < MASK_MIN_LENGTH) continue
      for (const form of maskedForms(value)) {
        if (seen.has(form)) continue
        seen.add(form)
        patterns.push({
          bytes: Buffer.from(form, 'utf8'),
          replacement: Buffer.from(`[masked:${name}]`, 'utf8'),
        })
      }
    }
    // Longest first, so that of two matches at one position the longer wins.
    patterns.sort((a, b) => b.bytes.length - a.bytes.length)
    for (const pattern of patterns) {
      const first = pattern.bytes.readUInt8(0)
      this.byFirstByte.set(first, [...(this.byFirstByte.get(first) ?? []), pattern])
    }
    this.patterns = patterns
    this.longest = patterns[0]?.bytes.length ?? 0
  }

  get active(): boolean {
    return this.patterns.length > 0
  }

  /** The masked output that `chunk` makes certain; a possible match at the end is held. */
  push(chunk: Buffer): Buffer {
    if (!this.active) return chunk
    const buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    return this.scan(buffer, false)
  }

  /** Everything still held, masked: the stream ended, so partial matches are plain text. */
  end(): Buffer {
    const rest = this.pending
    this.pending = Buffer.alloc(0)
    return rest.length === 0 ? rest : this.scan(rest, true)
  }

  private scan(buffer: Buffer, final: boolean): Buffer {
    const out: Buffer[] = []
    // The next occurrence of each pattern at or after `position`, found with the native search.
    const next = this.patterns.map((p) => buffer.indexOf(p.bytes))
    let position = 0
    for (;;) {
      let match: Pattern | undefined
      let at = buffer.length
      for (const [i, pattern] of this.patterns.entries()) {
        let found = next[i] ?? -1
        if (found !== -1 && found < position) {
          found = buffer.indexOf(pattern.bytes, position)
          next[i] = found
        }
        // Patterns are longest first, so `<` keeps the longest of those starting at `at`.
        if (found !== -1 && found < at) {
          at = found
          match = pattern
        }
      }
      const hold = final ? buffer.length : this.holdStart(buffer, position)
      if (!match || at >= hold) {
        out.push(buffer.subarray(position, hold))
        this.pending = Buffer.from(buffer.subarray(hold))
        return Buffer.concat(out)
      }
      out.push(buffer.subarray(position, at), match.replacement)
      position = at + match.bytes.length
    }
  }

  /** The first position ≥ `from` where the rest of `buffer` is a proper prefix of a pattern:
   *  a match could start there once more bytes arrive, so output must stop there. */
  private holdStart(buffer: Buffer, from: number): number {
    const end = buffer.length
    for (let at = Math.max(from, end - this.longest + 1); at < end; at += 1) {
      const candidates = this.byFirstByte.get(buffer.readUInt8(at))
      if (!candidates) continue
      const tail = buffer.subarray(at)
      for (const { bytes } of candidates) {
        if (bytes.length > tail.length && bytes.compare(tail, 0, tail.length, 0, tail.length) === 0)
          return at
      }
    }
    return end
  }
}

/** A stream that masks what passes through it. */
export function maskingStream(values: readonly MaskedValue[]): Transform {
  const masker = new Masker(values)
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const out = masker.push(chunk)
      callback(null, out.length > 0 ? out : undefined)
    },
    flush(callback: TransformCallback) {
      const out = masker.end()
      callback(null, out.length > 0 ? out : undefined)
    },
  })
}
