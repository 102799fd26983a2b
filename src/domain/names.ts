// Pure: the names SPEC.md §1 defines, and their parsers. Only these functions make the branded
// types, so code holding a SecretName or OwnerName can trust it.
import { CofferError } from './errors.js'

declare const brand: unique symbol
type Brand<T, B extends string> = T & { readonly [brand]: B }

export type OwnerName = Brand<string, 'OwnerName'>
export type SecretName = Brand<string, 'SecretName'>
export type EnvironmentName = Brand<string, 'EnvironmentName'>

const OWNER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,37}[a-z0-9])?$/
const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/
const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
export const SECRET_NAME_MAX = 255
const RESERVED_NAMES = new Set(['LD_PRELOAD', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES'])
const RESERVED_PREFIX = 'COFFER_'

export function parseOwnerName(input: string, param = 'body.name'): OwnerName {
  if (!OWNER_NAME.test(input)) {
    throw new CofferError(
      'invalid',
      `Invalid name "${printable(input)}": use 1-39 lowercase letters, digits and inner dashes`,
      { param },
    )
  }
  return input as OwnerName
}

/** Secret, variable and provider names: `^[A-Z][A-Z0-9_]*$`, 1-255 chars, not reserved. */
export function parseSecretName(input: string, param = 'body.name'): SecretName {
  if (input.length === 0 || input.length > SECRET_NAME_MAX || !SECRET_NAME.test(input)) {
    throw new CofferError(
      'invalid',
      `Invalid name "${printable(input)}": names start with an uppercase letter and use only A-Z, 0-9 and _ (at most ${SECRET_NAME_MAX} characters)`,
      { param },
    )
  }
  if (input.startsWith(RESERVED_PREFIX) || RESERVED_NAMES.has(input)) {
    throw new CofferError(
      'reserved_name',
      `The name ${input} is reserved: names starting with ${RESERVED_PREFIX} and LD_PRELOAD, LD_AUDIT, DYLD_INSERT_LIBRARIES cannot be used`,
      { param },
    )
  }
  return input as SecretName
}

export function parseEnvironmentName(input: string, param = 'body.name'): EnvironmentName {
  if (!ENVIRONMENT_NAME.test(input) || input === '.' || input === '..') {
    throw new CofferError(
      'invalid',
      `Invalid environment name "${printable(input)}": use 1-64 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`,
      { param },
    )
  }
  return input as EnvironmentName
}

/** Names are echoed in errors; keep them short and printable so a pasted value cannot flood a log. */
function printable(input: string): string {
  const clipped = input.length > 64 ? `${input.slice(0, 64)}…` : input
  return clipped.replace(/[^\x20-\x7e]/g, '?')
}
