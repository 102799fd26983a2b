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

const EMPTY = Buffer.alloc(0)

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
  /** Patterns by their first two bytes (longest first). */
  private readonly byPair = new Map<number, Pattern[]>()
  /** Wu-Manber: the window is the shortest pattern's length (at most 255); per two-byte gram,
   *  how far the window's end may move when it ends in that gram. */
  private readonly window: number
  private readonly shifts = new Uint8Array(65_536)
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
      // Every form is at least MASK_MIN_LENGTH bytes long, so it has two first bytes.
      const pair = pattern.bytes.readUInt16BE(0)
      this.byPair.set(pair, [...(this.byPair.get(pair) ?? []), pattern])
    }
    this.window = Math.min(255, ...patterns.map((p) => p.bytes.length))
    this.shifts.fill(this.window - 1)
    for (const { bytes } of patterns) {
      for (let j = 1; j < this.window; j += 1) {
        const gram = bytes.readUInt16BE(j - 1)
        this.shifts[gram] = Math.min(this.shifts[gram] ?? 0, this.window - 1 - j)
      }
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
    let position = 0
    for (;;) {
      const found = this.firstMatch(buffer, position)
      const hold = final ? buffer.length : this.holdStart(buffer, position)
      if (!found || found.at >= hold) {
        this.pending = hold === buffer.length ? EMPTY : Buffer.from(buffer.subarray(hold))
        // Most chunks hold no value: hand them on as they are, without a copy.
        if (out.length === 0) return buffer.subarray(position, hold)
        out.push(buffer.subarray(position, hold))
        return Buffer.concat(out)
      }
      out.push(buffer.subarray(position, found.at), found.pattern.replacement)
      position = found.at + found.pattern.bytes.length
    }
  }

  /** The leftmost complete match at or after `from`, the longest of those starting there.
   *  Wu-Manber over two-byte grams: one pass whatever the number of patterns, skipping up to
   *  the shortest pattern's length at a time (25 secrets in five forms each, searched one by
   *  one with indexOf, ran at a third of the speed). Shifts never pass over a possible start,
   *  so starts are tried in increasing order and the first match is the leftmost. */
  private firstMatch(buffer: Buffer, from: number): { at: number; pattern: Pattern } | undefined {
    const window = this.window
    const shifts = this.shifts
    let end = from + window - 1
    while (end < buffer.length) {
      const gram = (((buffer[end - 1] ?? 0) << 8) | (buffer[end] ?? 0)) & 0xffff
      const shift = shifts[gram] ?? 0
      if (shift > 0) {
        end += shift
        continue
      }
      const at = end - window + 1
      const pair = (((buffer[at] ?? 0) << 8) | (buffer[at + 1] ?? 0)) & 0xffff
      for (const pattern of this.byPair.get(pair) ?? []) {
        const stop = at + pattern.bytes.length
        if (stop <= buffer.length && pattern.bytes.compare(buffer, at, stop) === 0) {
          return { at, pattern }
        }
      }
      end += 1
    }
    return undefined
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
