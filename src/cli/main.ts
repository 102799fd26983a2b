// The `coffer` executable (SPEC.md §4). commander only parses; a command's module, and the
// adapters it needs, are imported when that command runs, so the eager import graph is commander
// and this file (`coffer run` start-up time matters). The one catch turns every failure into
// `coffer: <message>`, a next step where there is one, and ERROR_OUTCOMES' exit code.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import type { ApiClient } from './api-client.js'
import type { CredentialStore, Session } from './credentials.js'
import type { Output } from './output.js'
import type { Prompter } from './prompt.js'

export interface GlobalOptions {
  readonly server?: string
  readonly token?: string
  readonly json?: boolean
  readonly team?: string
}

/** What every command receives. Built here: with server.ts, the only place adapters are made. */
export interface CliDeps {
  readonly output: Output
  readonly prompter: Prompter
  readonly env: NodeJS.ProcessEnv
  /** --team: the team a command works in; undefined means the user's personal scope. */
  readonly team: string | undefined
  readonly credentials: CredentialStore
  session(): Promise<Session>
  /** A client presenting the session's token. @throws CofferError('unauthenticated') without one. */
  api(): Promise<ApiClient>
  /** A client that presents no token (`coffer login`). */
  anonymousApi(): Promise<ApiClient>
}

/** A handler may return an exit code (`coffer run` ends with its child's). */
export type CommandHandler<Args> = (args: Args, deps: CliDeps) => Promise<unknown>

async function createDeps(globals: GlobalOptions): Promise<CliDeps> {
  const [errors, apiClient, credentials, output, prompt] = await Promise.all([
    import('../domain/errors.js'),
    import('./api-client.js'),
    import('./credentials.js'),
    import('./output.js'),
    import('./prompt.js'),
  ])
  const env = process.env
  const store = credentials.createCredentialStore(credentials.credentialsPath(env))
  let session: Promise<Session> | undefined
  let prompter: Prompter | undefined
  const resolveSession = (): Promise<Session> =>
    (session ??= store.read().then((stored) =>
      credentials.resolveSession({
        flagServer: globals.server,
        flagToken: globals.token,
        env,
        stored,
      }),
    ))
  return {
    output: output.createOutput({
      json: globals.json === true,
      stdout: process.stdout,
      stderr: process.stderr,
    }),
    // Made on first use: touching process.stdin opens it, which `coffer run` leaves to its child.
    get prompter() {
      prompter ??= prompt.createPrompter({ input: process.stdin, output: process.stderr })
      return prompter
    },
    env,
    team: globals.team,
    credentials: store,
    session: resolveSession,
    async api() {
      const { server, token } = await resolveSession()
      if (token === undefined) {
        throw new errors.CofferError('unauthenticated', `Not logged in to ${server}`)
      }
      return apiClient.createApiClient({ server, token })
    },
    async anonymousApi() {
      const { server } = await resolveSession()
      return apiClient.createApiClient({ server })
    },
  }
}

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
  return (
    new Command('coffer')
      .description('Coffer: a self-hosted secrets manager for agents, evaluations and services.')
      .option(
        '--server <url>',
        'Coffer server URL (env COFFER_SERVER; default: the server you logged in to, else http://127.0.0.1:8080)',
      )
      .option(
        '--token <token>',
        'personal or runtime token (prefer env COFFER_TOKEN: argv is visible)',
      )
      .option('--json', "print the API's data as JSON on stdout")
      .option('--team <slug>', "work in a team's scope instead of your personal one")
      .exitOverride()
      // Errors are printed by the one catch below, in the CLI's own words.
      .configureOutput({ outputError: () => undefined })
      .showSuggestionAfterError(true)
  )
}

/** `coffer run` is the hot path of the CLI (started hundreds of times a day): for it, main()
 *  builds a program with this one command, skipping the definition of every other one. */
function addRunCommand(program: Command, run: Run): void {
  program
    .command('run')
    .description("start a program with its environment's resolved secrets (after --)")
    .argument('[command...]', 'the program and its arguments, after --')
    .option('--env <owner/env>', 'the environment (default: `environment:` in ./coffer.yaml)')
    .option('--manifest <file>', 'requirements (default: ./coffer.yaml, else ./app.yaml)')
    .option('--watch', 'restart the program when the environment changes')
    .option('--mask', "replace secret values in the program's output with [masked:NAME]")
    .option('--no-override', 'keep inherited variables instead of resolved values')
    .option('--fallback <file>', 'keep an encrypted snapshot there; run from it when offline')
    .option('--dry-run', 'print the names and sources that would be injected (no values)')
    .action(
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

/** Every command. The env and provider trees are loaded only here, not for `coffer run`. */
async function buildProgram(run: Run): Promise<Command> {
  const [{ addEnvCommands }, { addProviderCommands }] = await Promise.all([
    import('./env-program.js'),
    import('./provider-program.js'),
  ])
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

function hintFor(failure: { code: string; message: string }, path: string): string | undefined {
  switch (failure.code) {
    case 'unauthenticated':
      // A failed login needs no advice to log in; nor does a message that already gives it.
      return path === 'login' || failure.message.includes('coffer login')
        ? undefined
        : 'Run `coffer login` (or set COFFER_TOKEN), then try again.'
    case 'usage':
      return `Run \`coffer ${path === '' ? '' : `${path} `}--help\` for usage.`
    case 'forbidden':
      return path.startsWith('admin')
        ? 'Only instance admins may do this.'
        : 'Ask an admin of that team for a role that allows it.'
    default:
      return undefined
  }
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
    const [handler, deps] = await Promise.all([
      load(),
      createDeps(command.optsWithGlobals<GlobalOptions>()),
    ])
    const result = await handler(args, deps)
    if (typeof result === 'number') exitCode = result
  }
  let program: Command
  if (commandOf(argv) === 'run') {
    program = globalProgram()
    addRunCommand(program, run)
  } else {
    program = await buildProgram(run)
  }
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
    const [{ CofferError, asCofferError }, { ERROR_OUTCOMES }, { createOutput }] =
      await Promise.all([
        import('../domain/errors.js'),
        import('../error-outcomes.js'),
        import('./output.js'),
      ])
    const failure =
      error instanceof CommanderError
        ? new CofferError('usage', usageMessage(error))
        : asCofferError(error)
    const output = createOutput({ json: false, stdout: process.stdout, stderr: process.stderr })
    // Anything that is not a CofferError is a bug of the CLI itself.
    const isBug = failure !== error && !(error instanceof CommanderError)
    output.error(
      failure,
      isBug
        ? 'This is a bug in the Coffer CLI; run with COFFER_DEBUG=1 to see where it happened.'
        : hintFor(failure, commandPath(active)),
    )
    if (isBug && process.env.COFFER_DEBUG) {
      // Opt-in only: a foreign error's text may echo input.
      output.notice(error instanceof Error ? (error.stack ?? error.message) : String(error))
    }
    return ERROR_OUTCOMES[failure.code].exitCode
  }
}

/** The command named in `argv` (the first word that is neither an option nor a global option's
 *  value), or undefined. */
function commandOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2)
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? ''
    if (arg === '--') return undefined
    if (['--server', '--token', '--team'].includes(arg)) i += 1
    else if (!arg.startsWith('-')) return arg
  }
  return undefined
}

function usageMessage(error: CommanderError): string {
  // Help shown because a command group was called without a command ends here too.
  if (error.code === 'commander.help') return 'Missing command.'
  return error.message.replace(/^error: /, '').trim()
}

process.exitCode = await main(process.argv)
