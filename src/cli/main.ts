// The `coffer` program (SPEC.md §4) for every command line but a plain `coffer run`, which the
// CLI's entry (entry.ts) parses and runs itself. commander only parses; a command's module, and
// the adapters it needs, are imported when that command runs. The one catch turns every failure
// into `coffer: <message>`, a next step where there is one, and ERROR_OUTCOMES' exit code.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { CofferError } from '../domain/errors.js'
import { createDeps, type CommandHandler, type GlobalOptions } from './deps.js'
import { addEnvCommands } from './env-program.js'
import { reportFailure } from './failure.js'
import { addProviderCommands } from './provider-program.js'
import { flagsOf, GLOBAL_OPTIONS, RUN_OPTIONS } from './run/argv.js'

function parseInteger(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text)
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`Use a whole number from ${min} to ${max}.`)
    }
    return value
  }
}

type Run = <Args>(
  command: Command,
  load: () => Promise<CommandHandler<Args>>,
  args: Args,
) => Promise<void>

/** The program with its global options and no commands. */
function globalProgram(): Command {
  const program = new Command('coffer')
    .description('Coffer: a self-hosted secrets manager for agents, evaluations and services.')
    .exitOverride()
    // Errors are printed by the one catch below, in the CLI's own words.
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError(true)
  for (const option of GLOBAL_OPTIONS) program.option(flagsOf(option), option.description)
  return program
}

/** `coffer run`: its options come from the table entry.ts's parser reads too (run/argv.ts). */
function addRunCommand(program: Command, run: Run): void {
  const command = program
    .command('run')
    .description("start a program with its environment's resolved secrets (after --)")
    .argument('[command...]', 'the program and its arguments, after --')
  for (const option of RUN_OPTIONS) command.option(flagsOf(option), option.description)
  command.action(
    (
      commandLine: string[],
      options: {
        env?: string
        manifest?: string
        watch?: boolean
        mask?: boolean
        override: boolean
        fallback?: string
        dryRun?: boolean
      },
      command: Command,
    ) =>
      run(command, async () => (await import('./commands/run.js')).run, {
        command: commandLine,
        env: options.env,
        manifest: options.manifest,
        watch: options.watch === true,
        mask: options.mask === true,
        override: options.override,
        fallback: options.fallback,
        dryRun: options.dryRun === true,
      }),
  )
}

/** Every command. */
function buildProgram(run: Run): Command {
  const program = globalProgram()

  program
    .command('server')
    .description('run the Coffer server (REST API)')
    .option(
      '--port <port>',
      'port, 0 for any free one (env COFFER_PORT; default 8080)',
      parseInteger(0, 65_535),
    )
    .option('--host <host>', 'address to listen on (env COFFER_HOST; default 127.0.0.1)')
    .option('--data-dir <dir>', 'where SQLite data lives (env COFFER_DATA_DIR; default ./.coffer)')
    .option('--database-url <url>', 'PostgreSQL URL instead of SQLite (env COFFER_DATABASE_URL)')
    .action((options: ServerFlags, command: Command) =>
      run(command, async () => (await import('./commands/server.js')).runServer, options),
    )

  program
    .command('login')
    .description('log in and store a personal token for this server')
    .option('--username <name>', 'user name (asked on a terminal when missing)')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .action((options: { username?: string; passwordStdin?: boolean }, command: Command) =>
      run(command, async () => (await import('./commands/login.js')).login, {
        username: options.username,
        passwordStdin: options.passwordStdin === true,
      }),
    )
  program
    .command('logout')
    .description('revoke the stored token and forget it')
    .action((_options: object, command: Command) =>
      run(command, async () => (await import('./commands/login.js')).logout, {}),
    )
  program
    .command('whoami')
    .description('show who you are logged in as, where, and your teams')
    .action((_options: object, command: Command) =>
      run(command, async () => (await import('./commands/login.js')).whoami, {}),
    )

  const secret = program
    .command('secret')
    .description("global secrets: personal, or a team's with --team SLUG")
  const loadSecret = () => import('./commands/secret.js')
  secret
    .command('list')
    .description('list secrets (names and hints, never values)')
    .action((_options: object, command: Command) =>
      run(command, async () => (await loadSecret()).listSecrets, {}),
    )
  secret
    .command('get')
    .description("show a secret's metadata (never its value)")
    .argument('<secret>', 'secret id or NAME')
    .action((ref: string, _options: object, command: Command) =>
      run(command, async () => (await loadSecret()).getSecret, { ref }),
    )
  secret
    .command('create')
    .description('create a secret')
    .requiredOption('--name <NAME>', 'secret name, e.g. OPENAI_API_KEY')
    .option('--value <value>', 'the value; "-" reads stdin (a literal value here prints a warning)')
    .option('--value-file <file>', 'read the value from a file, byte for byte')
    .option('-d, --description <text>', 'what the secret is for')
    .option('--file', 'the value is a file: sent base64-encoded (binary is fine)')
    .addHelpText('after', VALUE_HELP)
    .action((options: CreateFlags, command: Command) =>
      run(command, async () => (await loadSecret()).createSecret, {
        name: options.name,
        value: options.value,
        valueFile: options.valueFile,
        description: options.description,
        isFile: options.file === true,
      }),
    )
  secret
    .command('update')
    .description("change a secret's value, name or description")
    .argument('<secret>', 'secret id or NAME')
    .option('--value <value>', 'the new value; "-" reads stdin (a literal value prints a warning)')
    .option('--value-file <file>', 'read the new value from a file, byte for byte')
    .option('--name <NAME>', 'rename the secret')
    .option('-d, --description <text>', 'new description')
    .addHelpText('after', VALUE_HELP)
    .action((ref: string, options: UpdateFlags, command: Command) =>
      run(command, async () => (await loadSecret()).updateSecret, {
        ref,
        value: options.value,
        valueFile: options.valueFile,
        name: options.name,
        description: options.description,
      }),
    )
  secret
    .command('delete')
    .description('delete a secret (unlink it from environments first)')
    .argument('<secret>', 'secret id or NAME')
    .action((ref: string, _options: object, command: Command) =>
      run(command, async () => (await loadSecret()).deleteSecret, { ref }),
    )
  secret
    .command('versions')
    .description("list a secret's versions (hints, never values)")
    .argument('<secret>', 'secret id or NAME')
    .action((ref: string, _options: object, command: Command) =>
      run(command, async () => (await loadSecret()).listVersions, { ref }),
    )
  secret
    .command('rollback')
    .description("make an old version's value current again, as a new version")
    .argument('<secret>', 'secret id or NAME')
    .requiredOption(
      '--version <n>',
      'the version to restore',
      parseInteger(1, Number.MAX_SAFE_INTEGER),
    )
    .action((ref: string, options: { version: number }, command: Command) =>
      run(command, async () => (await loadSecret()).rollbackSecret, {
        ref,
        version: options.version,
      }),
    )

  const team = program.command('team').description('teams and their members')
  const loadTeam = () => import('./commands/team.js')
  team
    .command('create')
    .description('create a team; you become its admin')
    .argument('<slug>', 'team slug, e.g. acme')
    .option('--name <name>', 'display name (default: the slug)')
    .action((slug: string, options: { name?: string }, command: Command) =>
      run(command, async () => (await loadTeam()).createTeam, { slug, name: options.name }),
    )
  team
    .command('list')
    .description('list your teams and your role in each')
    .action((_options: object, command: Command) =>
      run(command, async () => (await loadTeam()).listTeams, {}),
    )
  team
    .command('members')
    .description("list a team's members")
    .argument('<slug>', 'team slug')
    .action((slug: string, _options: object, command: Command) =>
      run(command, async () => (await loadTeam()).listMembers, { slug }),
    )
  team
    .command('add-member')
    .description('add a user to a team')
    .argument('<slug>', 'team slug')
    .argument('<username>', 'user to add')
    .addOption(
      new Option('--role <role>', 'their role')
        .choices(['admin', 'member', 'viewer'])
        .default('member'),
    )
    .action((slug: string, username: string, options: { role: string }, command: Command) =>
      run(command, async () => (await loadTeam()).addMember, {
        slug,
        username,
        role: options.role,
      }),
    )
  team
    .command('remove-member')
    .description('remove a user from a team')
    .argument('<slug>', 'team slug')
    .argument('<username>', 'user to remove')
    .action((slug: string, username: string, _options: object, command: Command) =>
      run(command, async () => (await loadTeam()).removeMember, { slug, username }),
    )

  addRunCommand(program, run)

  const audit = program
    .command('audit')
    .description('audit events of owners you administer (newest first)')
    .option('--owner <name>', 'a user or team name (default: all you administer; --team works too)')
    .option('--action <action>', 'only this action, e.g. secret.update')
    .option('--since <when>', 'an ISO time, or a duration back from now: 15m, 1h, 7d')
    .option('--limit <n>', 'how many events (1-200)', parseInteger(1, 200), 50)
    .action(
      (
        options: { owner?: string; action?: string; since?: string; limit: number },
        command: Command,
      ) =>
        run(command, async () => (await import('./commands/audit.js')).listAudit, {
          owner: options.owner,
          action: options.action,
          since: options.since,
          limit: options.limit,
        }),
    )
  audit
    .command('verify')
    .description(
      "replay an owner's hash-chained audit trail and report the first broken link (--owner NAME, else --team, else yourself)",
    )
    // `--owner` belongs to `audit`: commander reads a parent's options after the subcommand too.
    .action((_options: object, command: Command) =>
      run(command, async () => (await import('./commands/audit.js')).verifyAudit, {
        owner: command.parent?.opts<{ owner?: string }>().owner,
      }),
    )

  addEnvCommands(program, run)
  addProviderCommands(program, run)

  const admin = program.command('admin').description('instance administration')
  admin
    .command('create-user')
    .description('create a user (instance admins only)')
    .argument('<username>', 'the new user name')
    .option('--password-stdin', 'read the password from stdin (else asked twice on a terminal)')
    .option('--admin', 'make the user an instance admin')
    .action(
      (username: string, options: { passwordStdin?: boolean; admin?: boolean }, command: Command) =>
        run(command, async () => (await import('./commands/admin.js')).createUser, {
          username,
          passwordStdin: options.passwordStdin === true,
          isAdmin: options.admin === true,
        }),
    )

  return program
}

type ServerFlags = { port?: number; host?: string; dataDir?: string; databaseUrl?: string }
type CreateFlags = {
  name: string
  value?: string
  valueFile?: string
  description?: string
  file?: boolean
}
type UpdateFlags = { value?: string; valueFile?: string; name?: string; description?: string }

const VALUE_HELP = `
The value comes from, in order of preference:
  --value-file FILE   the file's bytes exactly (a trailing newline is kept)
  --value -           stdin; one trailing newline is removed (\`echo x |\` adds one)
  a hidden prompt     when none is given and stdin is a terminal
  --value VALUE       works, but the value is visible in the process list and shell history
With --file, the bytes are kept exactly from every source (no newline is removed).
`

/** `secret create`, from the command commander matched (the root's name is not part of it). */
function commandPath(command: Command | undefined): string {
  const names: string[] = []
  for (let current = command; current?.parent; current = current.parent)
    names.unshift(current.name())
  return names.join(' ')
}

async function main(argv: readonly string[]): Promise<number> {
  let active: Command | undefined
  let exitCode = 0
  const run = async <Args>(
    command: Command,
    load: () => Promise<CommandHandler<Args>>,
    args: Args,
  ): Promise<void> => {
    active = command
    const handler = await load()
    const result = await handler(args, createDeps(command.optsWithGlobals<GlobalOptions>()))
    if (typeof result === 'number') exitCode = result
  }
  const program = buildProgram(run)
  // Remembers the deepest command reached, so a usage error can point at its --help.
  const track = (command: Command): void => {
    command.hook('preSubcommand', (_parent, sub) => {
      active = sub
    })
    command.commands.forEach(track)
  }
  track(program)
  try {
    await program.parseAsync(argv)
    return exitCode
  } catch (error) {
    // --help and --version end through exitOverride as well, with exit code 0.
    if (error instanceof CommanderError && error.exitCode === 0) return 0
    return reportFailure(
      error,
      commandPath(active),
      error instanceof CommanderError ? new CofferError('usage', usageMessage(error)) : undefined,
    )
  }
}

function usageMessage(error: CommanderError): string {
  // Help shown because a command group was called without a command ends here too.
  if (error.code === 'commander.help') return 'Missing command.'
  return error.message.replace(/^error: /, '').trim()
}

process.exitCode = await main(process.argv)
