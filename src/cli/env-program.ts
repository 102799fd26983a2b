// The `coffer env …` and `coffer explain` command tree (SPEC.md §4). Only parsing lives here:
// each action imports its command module when it runs, so the eager import graph of `coffer`
// (and of `coffer run`) gains this file and nothing else.
import { InvalidArgumentError, Option, type Command } from 'commander'
import { parseDurationSeconds } from './duration.js'
import type { CommandHandler } from './deps.js'

export type Runner = <Args>(
  command: Command,
  load: () => Promise<CommandHandler<Args>>,
  args: Args,
) => Promise<void>

const ENV_ARG = ['<owner/env>', 'the environment, e.g. acme/support-agent'] as const
const ENTRY_HELP = 'secret id or NAME (or use --id)'

function integerIn(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text)
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`Use a whole number from ${min} to ${max}.`)
    }
    return value
  }
}

function duration(maxSeconds: number) {
  return (text: string): number => {
    const seconds = parseDurationSeconds(text)
    if (seconds === undefined || seconds > maxSeconds) {
      throw new InvalidArgumentError(
        `Use a duration like 45s, 30m, 1h, 7d or 2w${maxSeconds < Number.MAX_SAFE_INTEGER ? `, at most ${maxSeconds} seconds` : ''}.`,
      )
    }
    return seconds
  }
}

const VALUE_HELP = `
The value comes from, in order of preference:
  --value-file FILE   the file's bytes exactly (a trailing newline is kept)
  --value -           stdin; one trailing newline is removed (\`echo x |\` adds one)
  a hidden prompt     when none is given and stdin is a terminal
  --value VALUE       works, but the value is visible in the process list and shell history
`

const NEW_VALUE_HELP = `
The new value comes from --value-file FILE (bytes exactly), --value - (stdin; one trailing
newline is removed) or --value VALUE (works, but visible in the process list and shell history).
`

type ValueOptions = { value?: string; valueFile?: string; description?: string }
type EntryOptions = { id?: string }

export function addEnvCommands(program: Command, run: Runner): void {
  const env = program
    .command('env')
    .description('environments: their secrets, variables, tokens and requirements')
  const loadEnv = () => import('./commands/env.js')
  env
    .command('create')
    .description('create an environment')
    .argument(...ENV_ARG)
    .option('-d, --description <text>', 'what the environment is for')
    .action((environment: string, options: { description?: string }, command: Command) =>
      run(command, async () => (await loadEnv()).createEnvironment, {
        environment,
        description: options.description,
      }),
    )
  env
    .command('list')
    .description("list environments: yours, a team's (--team SLUG) or an owner's (--owner)")
    .option('--owner <name>', 'a user or team name')
    .action((options: { owner?: string }, command: Command) =>
      run(command, async () => (await loadEnv()).listEnvironments, { owner: options.owner }),
    )
  env
    .command('delete')
    .description(
      'delete an environment with its direct secrets, variables, links and tokens (asks on a terminal unless --yes)',
    )
    .argument(...ENV_ARG)
    .option('-y, --yes', 'do not ask for confirmation (never asked when stdin is not a terminal)')
    .action((environment: string, options: { yes?: boolean }, command: Command) =>
      run(command, async () => (await loadEnv()).deleteEnvironment, {
        environment,
        yes: options.yes === true,
      }),
    )

  const secret = env.command('secret').description("an environment's direct and linked secrets")
  const loadSecret = () => import('./commands/env-secret.js')
  secret
    .command('list')
    .description('list direct and linked secrets (hints, never values)')
    .argument(...ENV_ARG)
    .action((environment: string, _options: object, command: Command) =>
      run(command, async () => (await loadSecret()).listEnvSecrets, { environment }),
    )
  secret
    .command('create')
    .description('create a direct secret')
    .argument(...ENV_ARG)
    .requiredOption('--name <NAME>', 'secret name, e.g. OPENAI_API_KEY')
    .option('--value <value>', 'the value; "-" reads stdin (a literal value here prints a warning)')
    .option('--value-file <file>', 'read the value from a file, byte for byte')
    .option('-d, --description <text>', 'what the secret is for')
    .addHelpText('after', VALUE_HELP)
    .action((environment: string, options: ValueOptions & { name: string }, command: Command) =>
      run(command, async () => (await loadSecret()).createEnvSecret, {
        environment,
        name: options.name,
        value: options.value,
        valueFile: options.valueFile,
        description: options.description,
      }),
    )
  secret
    .command('update')
    .description("change a direct secret's value, name or description")
    .argument(...ENV_ARG)
    .argument('[secret]', ENTRY_HELP)
    .option('--id <id>', 'the secret (id or NAME)')
    .option('--value <value>', 'the new value; "-" reads stdin (a literal value prints a warning)')
    .option('--value-file <file>', 'read the new value from a file, byte for byte')
    .option('--name <NAME>', 'rename the secret')
    .option('-d, --description <text>', 'new description')
    .addHelpText('after', NEW_VALUE_HELP)
    .action(
      (
        environment: string,
        entry: string | undefined,
        options: ValueOptions & EntryOptions & { name?: string },
        command: Command,
      ) =>
        run(command, async () => (await loadSecret()).updateEnvSecret, {
          environment,
          entry,
          id: options.id,
          value: options.value,
          valueFile: options.valueFile,
          name: options.name,
          description: options.description,
        }),
    )
  secret
    .command('delete')
    .description('delete a direct secret (a linked one is unlinked instead)')
    .argument(...ENV_ARG)
    .argument('[secret]', ENTRY_HELP)
    .option('--id <id>', 'the secret (id or NAME)')
    .action(
      (environment: string, entry: string | undefined, options: EntryOptions, command: Command) =>
        run(command, async () => (await loadSecret()).deleteEnvSecret, {
          environment,
          entry,
          id: options.id,
        }),
    )
  secret
    .command('generate')
    .description('create a direct secret with a random value, printed once on stdout')
    .argument(...ENV_ARG)
    .requiredOption('--name <NAME>', 'secret name, e.g. WEBHOOK_SECRET')
    .option('--length <n>', 'characters (16-256)', integerIn(16, 256), 32)
    .addOption(
      new Option('--alphabet <alphabet>', 'characters to draw from')
        .choices(['base64url', 'hex', 'alphanumeric'])
        .default('base64url'),
    )
    .option('-d, --description <text>', 'what the secret is for')
    .action(
      (
        environment: string,
        options: { name: string; length: number; alphabet: string; description?: string },
        command: Command,
      ) =>
        run(command, async () => (await loadSecret()).generateEnvSecret, {
          environment,
          name: options.name,
          length: options.length,
          alphabet: options.alphabet,
          description: options.description,
        }),
    )
  secret
    .command('rotate')
    .description('draw a new value for a generated secret, printed once on stdout')
    .argument(...ENV_ARG)
    .argument('[secret]', ENTRY_HELP)
    .option('--id <id>', 'the secret (id or NAME)')
    .action(
      (environment: string, entry: string | undefined, options: EntryOptions, command: Command) =>
        run(command, async () => (await loadSecret()).rotateEnvSecret, {
          environment,
          entry,
          id: options.id,
        }),
    )
  secret
    .command('link')
    .description('link a global secret of the same owner to the environment')
    .argument('<secret>', 'global secret id or NAME')
    .argument(...ENV_ARG)
    .action((secretRef: string, environment: string, _options: object, command: Command) =>
      run(command, async () => (await loadSecret()).linkSecret, {
        secret: secretRef,
        environment,
      }),
    )
  secret
    .command('unlink')
    .description('unlink a global secret from the environment (the secret itself stays)')
    .argument('<secret>', 'global secret id or NAME')
    .argument(...ENV_ARG)
    .action((secretRef: string, environment: string, _options: object, command: Command) =>
      run(command, async () => (await loadSecret()).unlinkSecret, {
        secret: secretRef,
        environment,
      }),
    )

  const variable = env
    .command('var')
    .description("an environment's variables (plain configuration, values shown)")
  const loadVar = () => import('./commands/env-var.js')
  variable
    .command('list')
    .description('list variables with their values')
    .argument(...ENV_ARG)
    .action((environment: string, _options: object, command: Command) =>
      run(command, async () => (await loadVar()).listEnvVariables, { environment }),
    )
  variable
    .command('set')
    .description('create a variable, or change the value of the one with that name')
    .argument('<NAME>', 'variable name, e.g. LOG_LEVEL')
    .argument('<VALUE>', 'its value (may be empty)')
    .argument(...ENV_ARG)
    .option('-d, --description <text>', 'what the variable is for')
    .action(
      (
        name: string,
        value: string,
        environment: string,
        options: { description?: string },
        command: Command,
      ) =>
        run(command, async () => (await loadVar()).setEnvVariable, {
          name,
          value,
          environment,
          description: options.description,
        }),
    )
  variable
    .command('unset')
    .description('delete a variable')
    .argument('<NAME>', 'variable name')
    .argument(...ENV_ARG)
    .action((name: string, environment: string, _options: object, command: Command) =>
      run(command, async () => (await loadVar()).unsetEnvVariable, { name, environment }),
    )

  env
    .command('import')
    .description('import a .env file, all or nothing')
    .argument(...ENV_ARG)
    .argument('<file>', 'a .env file (quotes, multi-line values, export and comments are fine)')
    .addOption(
      new Option('--as <kind>', 'store the entries as')
        .choices(['secret', 'variable'])
        .default('secret'),
    )
    .addOption(
      new Option('--on-conflict <rule>', 'when a name is already taken')
        .choices(['fail', 'skip', 'overwrite'])
        .default('fail'),
    )
    .action(
      (
        environment: string,
        file: string,
        options: { as: string; onConflict: string },
        command: Command,
      ) =>
        run(command, async () => (await import('./commands/env-import.js')).importDotenv, {
          environment,
          file,
          as: options.as,
          onConflict: options.onConflict,
        }),
    )

  const token = env.command('token').description("an environment's runtime tokens")
  const loadToken = () => import('./commands/env-token.js')
  token
    .command('create')
    .description('create a runtime token; its string is printed once on stdout')
    .argument(...ENV_ARG)
    .requiredOption('--name <name>', 'what uses it, e.g. ci or prod-agent')
    .option(
      '--expires-in <duration>',
      'lifetime: 30m, 12h, 30d, 2w (default: no expiry)',
      duration(Number.MAX_SAFE_INTEGER),
    )
    .action(
      (environment: string, options: { name: string; expiresIn?: number }, command: Command) =>
        run(command, async () => (await loadToken()).createToken, {
          environment,
          name: options.name,
          expiresInSeconds: options.expiresIn,
        }),
    )
  token
    .command('list')
    .description('list runtime tokens (never their strings)')
    .argument(...ENV_ARG)
    .action((environment: string, _options: object, command: Command) =>
      run(command, async () => (await loadToken()).listTokens, { environment }),
    )
  token
    .command('rotate')
    .description('issue a new string for a token, printed once; the old one stops working')
    .argument(...ENV_ARG)
    .argument('[token]', 'token id or name (or use --id)')
    .option('--id <id>', 'the token (id or name)')
    .option(
      '--grace <duration>',
      'keep the old string working this long (at most 1d), e.g. 1h',
      duration(86_400),
    )
    .action(
      (
        environment: string,
        entry: string | undefined,
        options: EntryOptions & { grace?: number },
        command: Command,
      ) =>
        run(command, async () => (await loadToken()).rotateToken, {
          environment,
          entry,
          id: options.id,
          graceSeconds: options.grace,
        }),
    )
  token
    .command('revoke')
    .description('revoke a runtime token at once')
    .argument(...ENV_ARG)
    .argument('[token]', 'token id or name (or use --id)')
    .option('--id <id>', 'the token (id or name)')
    .action(
      (environment: string, entry: string | undefined, options: EntryOptions, command: Command) =>
        run(command, async () => (await loadToken()).revokeToken, {
          environment,
          entry,
          id: options.id,
        }),
    )

  const requirements = env
    .command('requirements')
    .description("the keys an environment's apps need (stored server-side)")
  const loadStatus = () => import('./commands/env-status.js')
  requirements
    .command('set')
    .description('store the requirements of a coffer.yaml or app.yaml')
    .argument(...ENV_ARG)
    .argument('<file>', 'coffer.yaml or app.yaml')
    .action((environment: string, file: string, _options: object, command: Command) =>
      run(command, async () => (await loadStatus()).setRequirements, { environment, file }),
    )
  requirements
    .command('get')
    .description('show the stored requirements')
    .argument(...ENV_ARG)
    .action((environment: string, _options: object, command: Command) =>
      run(command, async () => (await loadStatus()).showRequirements, { environment }),
    )
  env
    .command('status')
    .description(
      'revision, missing required keys, consumers and unsynced entries (exit 6 when keys are missing)',
    )
    .argument(...ENV_ARG)
    .action((environment: string, _options: object, command: Command) =>
      run(command, async () => (await loadStatus()).showStatus, { environment }),
    )

  program
    .command('explain')
    .description(
      'which entry wins each name and what it shadows (no values); exit 4 when no named NAME is set',
    )
    .argument(...ENV_ARG)
    .argument('[names...]', 'names to explain (default: every name set or required)')
    .action((environment: string, names: string[], _options: object, command: Command) =>
      run(command, async () => (await import('./commands/explain.js')).explain, {
        environment,
        names,
      }),
    )
}
