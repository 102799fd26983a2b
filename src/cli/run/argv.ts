// The options of `coffer` and of `coffer run`, declared once for both parsers that read them:
// commander builds the full program from these tables, and `coffer run` — started hundreds of times
// a day — is first parsed by node:util's parseArgs in the CLI's entry, so that its path never loads
// commander. Whenever parseArgs cannot say for certain that argv is a well-formed run (another
// command, --help, an unknown or malformed option), the entry hands argv to commander, which
// parses it again and gives the errors and help; so both parsers agree on everything that runs.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { RunArgs } from '../commands/run.js'
import type { GlobalOptions } from '../deps.js'

export interface OptionSpec {
  /** The long name, without dashes: `env`, `no-override`. */
  readonly name: string
  /** The value's placeholder, e.g. `<url>`; none for a flag. */
  readonly value?: string
  readonly description: string
}

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'server',
    value: '<url>',
    description:
      'Coffer server URL (env COFFER_SERVER; default: the server you logged in to, else http://127.0.0.1:8080)',
  },
  {
    name: 'token',
    value: '<token>',
    description: 'personal or runtime token (prefer env COFFER_TOKEN: argv is visible)',
  },
  { name: 'json', description: "print the API's data as JSON on stdout" },
  {
    name: 'team',
    value: '<slug>',
    description: "work in a team's scope instead of your personal one",
  },
]

export const RUN_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'env',
    value: '<owner/env>',
    description: 'the environment (default: `environment:` in ./coffer.yaml)',
  },
  {
    name: 'manifest',
    value: '<file>',
    description: 'requirements (default: ./coffer.yaml, else ./app.yaml)',
  },
  { name: 'watch', description: 'restart the program when the environment changes' },
  { name: 'mask', description: "replace secret values in the program's output with [masked:NAME]" },
  { name: 'no-override', description: 'keep inherited variables instead of resolved values' },
  {
    name: 'fallback',
    value: '<file>',
    description: 'keep an encrypted snapshot there; run from it when offline',
  },
  {
    name: 'dry-run',
    description: 'print the names and sources that would be injected (no values)',
  },
]

const RUN_OPTION_NAMES = new Set(RUN_OPTIONS.map((option) => option.name))

/** commander's spelling of an option: `--env <owner/env>`. */
export const flagsOf = (option: OptionSpec): string =>
  option.value === undefined ? `--${option.name}` : `--${option.name} ${option.value}`

type ParseOptions = NonNullable<ParseArgsConfig['options']>

const PARSE_CONFIG: ParseOptions = {
  ...Object.fromEntries(
    [...GLOBAL_OPTIONS, ...RUN_OPTIONS].map((option): [string, ParseOptions[string]] => [
      option.name,
      { type: option.value === undefined ? 'boolean' : 'string' },
    ]),
  ),
  // Recognised only to hand help over to commander.
  help: { type: 'boolean', short: 'h' },
}

/**
 * `coffer [globals] run [options] [--] CMD [ARGS…]` as the run command's arguments, or undefined
 * when argv is anything else or anything parseArgs is unsure of (commander then decides).
 */
export function parseRunArgv(
  argv: readonly string[],
): { globals: GlobalOptions; args: RunArgs } | undefined {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      options: PARSE_CONFIG,
      allowPositionals: true,
      strict: true,
      tokens: true,
    })
  } catch {
    return undefined
  }
  const { positionals } = parsed
  const values = parsed.values as Readonly<Record<string, string | boolean | undefined>>
  if (positionals[0] !== 'run' || values.help === true) return undefined
  // commander takes run's own options only after `run` (global ones go anywhere).
  const runAt = parsed.tokens.find((token) => token.kind === 'positional')?.index ?? 0
  const early = parsed.tokens.some(
    (token) => token.kind === 'option' && token.index < runAt && RUN_OPTION_NAMES.has(token.name),
  )
  if (early) return undefined
  const text = (name: string): string | undefined => {
    const value = values[name]
    return typeof value === 'string' ? value : undefined
  }
  const flag = (name: string): boolean => values[name] === true
  return {
    globals: {
      server: text('server'),
      token: text('token'),
      json: flag('json'),
      team: text('team'),
    },
    args: {
      command: positionals.slice(1),
      env: text('env'),
      manifest: text('manifest'),
      watch: flag('watch'),
      mask: flag('mask'),
      override: !flag('no-override'),
      fallback: text('fallback'),
      dryRun: flag('dry-run'),
    },
  }
}
