// `coffer env import`: a .env file into an environment, all or nothing (SPEC.md §3.6). The file
// is sent as it is; the server parses it with a real dotenv parser, so quoting rules are its.
import { readFile } from 'node:fs/promises'
import { CofferError } from '../../domain/errors.js'
import { environmentPath, formatEnvironmentRef, parseEnvironmentRef } from '../environment-ref.js'
import type { CliDeps } from '../deps.js'

export interface ImportResult {
  readonly created: readonly string[]
  readonly updated: readonly string[]
  readonly skipped: readonly string[]
  /** Keys the file assigns more than once, with their lines: the last assignment wins. */
  readonly duplicates?: readonly { readonly name: string; readonly lines: readonly number[] }[]
}

export async function importDotenv(
  args: { environment: string; file: string; as: string; onConflict: string },
  deps: CliDeps,
): Promise<void> {
  const ref = parseEnvironmentRef(args.environment)
  const file = args.file
  const bytes = await readFile(file).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new CofferError('bad_request', `Cannot read ${file} (${code})`, { param: 'file' })
  })
  let content: string
  try {
    content = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new CofferError('invalid_value', `${file} is not UTF-8 text`, { param: 'file' })
  }
  const api = await deps.api()
  const result = await api.post<ImportResult>(environmentPath(ref, 'import'), {
    content,
    format: 'dotenv',
    as: args.as,
    onConflict: args.onConflict,
  })
  deps.output.result(result, () => {
    const kind = args.as === 'variable' ? 'variables' : 'secrets'
    const names = (list: readonly string[]) => (list.length === 0 ? '' : `: ${list.join(', ')}`)
    return [
      `Imported ${file} into ${formatEnvironmentRef(ref)} as ${kind}`,
      `  created ${result.created.length}${names(result.created)}`,
      `  updated ${result.updated.length}${names(result.updated)}`,
      `  skipped ${result.skipped.length}${names(result.skipped)}`,
    ].join('\n')
  })
  if (result.duplicates && result.duplicates.length > 0) {
    const where = result.duplicates
      .map((duplicate) => `${duplicate.name} (lines ${duplicate.lines.join(', ')})`)
      .join(', ')
    deps.output.warn(`${file} sets ${where} more than once; the last assignment was used`)
  }
}
