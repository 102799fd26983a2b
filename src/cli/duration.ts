// Pure: durations people type (`30d`, `1h`, `90m`, `1w`, `45s`, or a bare number of seconds) as
// whole seconds, for `--expires-in` and `--grace`.

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3_600,
  d: 86_400,
  w: 604_800,
}

/** Whole seconds, or undefined when the text is not a duration (zero and negatives included). */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d{1,9})([smhdw]?)$/.exec(text.trim())
  if (!match) return undefined
  const unit = match[2] === undefined || match[2] === '' ? 's' : match[2]
  const seconds = Number(match[1]) * (UNIT_SECONDS[unit] ?? 1)
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined
}

/** The largest unit that divides the duration exactly: 86400 → `1d`, 5400 → `90m`. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of Object.entries(UNIT_SECONDS).reverse()) {
    if (seconds % size === 0) return `${seconds / size}${unit}`
  }
  return `${seconds}s`
}
