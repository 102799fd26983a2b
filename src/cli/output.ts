// The CLI's only writer: results go to stdout (the API's `data` as JSON with --json), messages,
// warnings and errors to stderr. Commands hand it metadata only; no secret value reaches it.
import type { CofferError } from '../domain/errors.js'

export interface Column<Row> {
  readonly header: string
  readonly cell: (row: Row) => unknown
}

export interface Output {
  readonly json: boolean
  /** A command's result: `data` as JSON with --json, otherwise the text `human()` returns. */
  result(data: unknown, human: () => string): void
  /** A confirmation for people ("Deleted secret X"); silent with --json, where stdout is data. */
  done(message: string): void
  /** A line that is the output in every mode (e.g. `coffer listening on URL`). */
  line(text: string): void
  /** Something worth knowing that is not the result (stderr, so pipes stay clean). */
  notice(message: string): void
  warn(message: string): void
  error(failure: CofferError, hint?: string): void
}

export interface OutputOptions {
  readonly json: boolean
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
}

export function createOutput({ json, stdout, stderr }: OutputOptions): Output {
  // A reader that closes early (`coffer secret list | head -1`) is not an error of ours.
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
  })
  const out = (text: string): void => {
    if (text !== '') stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }
  const err = (text: string): void => {
    stderr.write(text.endsWith('\n') ? text : `${text}\n`)
  }
  return {
    json,
    result(data, human) {
      out(json ? JSON.stringify(data ?? null, null, 2) : printable(human()))
    },
    done(message) {
      if (!json) out(printable(message))
    },
    line(text) {
      out(printable(text))
    },
    notice(message) {
      err(printable(message))
    },
    warn(message) {
      err(`coffer: warning: ${printable(message)}`)
    },
    error(failure, hint) {
      err(formatError(failure, hint))
    },
  }
}

/** `coffer: <message>`, one indented line per item when there are several, then the hint. */
export function formatError(failure: CofferError, hint?: string): string {
  const lines = [`coffer: ${printable(failure.message)}`]
  if (failure.items.length > 1) {
    for (const item of failure.items) {
      lines.push(
        `  ${item.param === '' ? '' : `${printable(item.param)}: `}${printable(item.details)}`,
      )
    }
  }
  if (hint !== undefined) lines.push(printable(hint))
  return lines.join('\n')
}

/** Columns padded to their widest cell, a header row, `-` for an absent value. */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = [
    columns.map((column) => column.header),
    ...rows.map((row) => columns.map((column) => cellText(column.cell(row)))),
  ]
  const widths = columns.map((_, index) =>
    Math.max(...cells.map((line) => widthOf(line[index] ?? ''))),
  )
  return cells
    .map((line) =>
      line
        .map((cell, index) =>
          index === line.length - 1
            ? cell
            : cell + ' '.repeat((widths[index] ?? 0) - widthOf(cell)),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

// Made on first use: building a Segmenter loads ICU data, ~30 ms that `coffer run` never needs.
let graphemes: Intl.Segmenter | undefined

/** Characters as people count them (an emoji with modifiers is one). */
function widthOf(text: string): number {
  graphemes ??= new Intl.Segmenter()
  return Array.from(graphemes.segment(text)).length
}

/** `label: value` lines with the values aligned, for one object. */
export function formatFields(fields: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...fields.map(([label]) => label.length))
  return fields
    .map(([label, value]) => `${`${label}:`.padEnd(width + 1)} ${cellText(value)}`.trimEnd())
    .join('\n')
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-'
  if (typeof value === 'string') return printable(value.replace(/[\t\n\r]/g, ' '))
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'object') {
    // API references such as `createdBy` may be objects; people want the name.
    const named = value as Record<string, unknown>
    for (const key of ['username', 'name', 'slug', 'id']) {
      if (typeof named[key] === 'string') return cellText(named[key])
    }
  }
  return printable(JSON.stringify(value))
}

/** ISO timestamps shortened to the second, in UTC: `2025-01-31 12:00:00Z`. */
export function formatTime(value: unknown): string {
  if (typeof value !== 'string') return cellText(value)
  const time = new Date(value)
  return Number.isNaN(time.getTime())
    ? cellText(value)
    : `${time.toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/**
 * Security: text from the server (names, descriptions, error details) could carry terminal
 * escape sequences; control characters are shown as `?` so they cannot rewrite the screen.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?')
}
