// Pure: what a secret value, a file value and a description may be (SPEC.md §1 "Values").
import { CofferError } from './errors.js'
import { Redacted } from './redacted.js'

export const VALUE_MAX_BYTES = 65_536
export const DESCRIPTION_MAX = 500
const HINT_MIN_CHARS = 20
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const utf8 = new TextEncoder()

export interface ValueRules {
  /** Variables may be empty; secrets may not. */
  readonly allowEmpty?: boolean
  /** File secrets hold standard base64 that must decode. */
  readonly isFile?: boolean
}

/** Validates a value and wraps it. Errors never include the value itself. */
export function parseValue(input: string, param = 'body.value', rules: ValueRules = {}): Redacted {
  if (input.length === 0 && !rules.allowEmpty) {
    throw new CofferError('invalid_value', 'The value is empty: a secret needs at least 1 byte', {
      param,
    })
  }
  if (input.includes('\u0000')) {
    throw new CofferError(
      'invalid_value',
      'The value contains a NUL character, which cannot be injected into a process environment',
      { param },
    )
  }
  const bytes = utf8.encode(input).length
  if (bytes > VALUE_MAX_BYTES) {
    throw new CofferError(
      'too_large',
      `The value is ${bytes} bytes; the limit is ${VALUE_MAX_BYTES} bytes`,
      { param },
    )
  }
  if (rules.isFile && !BASE64.test(input)) {
    throw new CofferError(
      'invalid_value',
      'A file secret must be standard base64 (A-Z, a-z, 0-9, +, / and = padding)',
      { param },
    )
  }
  return Redacted.of(input)
}

export function parseDescription(input: string | undefined, param = 'body.description'): string {
  const description = input ?? ''
  if (Array.from(description).length > DESCRIPTION_MAX) {
    throw new CofferError(
      'invalid',
      `The description is longer than ${DESCRIPTION_MAX} characters`,
      { param },
    )
  }
  return description
}

/** `"…" + last 4 characters` when the value has at least 20 characters, otherwise null. */
export function hintOf(value: Redacted): string | null {
  const chars = Array.from(value.reveal()) // code points, not UTF-16 units
  return chars.length >= HINT_MIN_CHARS ? `…${chars.slice(-4).join('')}` : null
}
