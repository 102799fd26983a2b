// Reads a .env file for import (SPEC.md §3.6) with dotenv's own parser (quotes, multi-line
// values, `export`, comments, CRLF), and finds the line of each key so problems can name it.
import { parse } from 'dotenv'
import { CofferError, type ErrorItem } from '../domain/errors.js'
import { parseSecretName } from '../domain/names.js'

export interface DotenvEntry {
  readonly name: string
  /** Security: the imported value; hand it to the store sealed, never to a log or error. */
  readonly value: string
  /** 1-based line of the (last) definition. */
  readonly line: number
}

export interface ParsedDotenv {
  /** In file order of their last definition. */
  readonly entries: readonly DotenvEntry[]
  /** Keys defined more than once: the last definition wins, and the import reports it. */
  readonly duplicates: readonly { readonly name: string; readonly lines: readonly number[] }[]
}

/** Parses and validates names; throws `invalid` listing every bad line, or for binary input. */
export function parseDotenvImport(content: string, param = 'body.content'): ParsedDotenv {
  // Security and sanity: NUL and other control bytes mean this is not a text .env file.
  if (/[^\P{Cc}\t\n\v\f\r]/u.test(content)) {
    throw new CofferError(
      'invalid',
      'The content is not a text .env file (it contains binary control characters)',
      { param },
    )
  }
  const values = parse(content)
  const lines = content.split(/\r?\n/)
  const definitions = new Map<string, number[]>()
  for (const [index, text] of lines.entries()) {
    const key = /^\s*(?:export\s+)?([\w.-]+)\s*[=:]/.exec(text)?.[1]
    if (key !== undefined && Object.hasOwn(values, key)) {
      definitions.set(key, [...(definitions.get(key) ?? []), index + 1])
    }
  }
  const invalid: ErrorItem[] = []
  const entries: DotenvEntry[] = []
  for (const [name, value] of Object.entries(values)) {
    const line = definitions.get(name)?.at(-1) ?? 0
    try {
      parseSecretName(name)
    } catch (error) {
      const reason = error instanceof CofferError ? error.message : 'invalid name'
      invalid.push({
        code: error instanceof CofferError ? error.code : 'invalid',
        param,
        details: `line ${line}: ${reason}`,
      })
      continue
    }
    entries.push({ name, value, line })
  }
  const [first, ...rest] = invalid
  if (first) throw CofferError.of([first, ...rest])
  entries.sort((a, b) => a.line - b.line)
  const duplicates = [...definitions]
    .filter(([, at]) => at.length > 1)
    .map(([name, at]) => ({ name, lines: at }))
  return { entries, duplicates }
}
