// The `coffer provider …` and `coffer env provider …` command trees (SPEC.md §1.5, §4). Only
// parsing lives here: each action imports commands/provider.ts when it runs.
import type { Command } from 'commander'
import type { Runner } from './env-program.js'

const ENV_ARG = ['<owner/env>', 'the environment, e.g. acme/support-agent'] as const
const KEY_HELP = `
The API key comes from, in order of preference:
  --api-key -         stdin; one trailing newline is removed (also used when stdin is not a terminal)
  a hidden prompt     when stdin is a terminal
  --api-key KEY       works, but the key is visible in the process list and shell history
`

type ConnectFlags = { label?: string; baseUrl?: string; apiKey?: string }

export function addProviderCommands(program: Command, run: Runner): void {
  const load = () => import('./commands/provider.js')
  const provider = program
    .command('provider')
    .description("AI provider connections: personal, or a team's with --team SLUG")
  provider
    .command('connect')
    .description('connect a provider: its key is stored encrypted and never shown again')
    .argument('<provider>', 'anthropic, openai, openrouter, venice or custom')
    .option('--label <label>', 'a name for the connection (default: the provider)')
    .option('--base-url <url>', 'custom only: the http(s) URL of an OpenAI-compatible API')
    .option('--api-key <key>', '"-" reads stdin (a literal key here prints a warning)')
    .addHelpText('after', KEY_HELP)
    .action((name: string, options: ConnectFlags, command: Command) =>
      run(command, async () => (await load()).connectProvider, {
        provider: name,
        label: options.label,
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
      }),
    )
  provider
    .command('list')
    .description('list connections (hints and last test, never keys)')
    .action((_options: object, command: Command) =>
      run(command, async () => (await load()).listProviders, {}),
    )
  provider
    .command('update')
    .description("change a connection's label, key (--api-key -) or base URL (custom)")
    .argument('<id>', 'connection id')
    .option('--label <label>', 'a new label')
    .option('--base-url <url>', 'custom only: a new base URL')
    .option('--api-key <key>', 'a new key; "-" reads stdin (a literal key prints a warning)')
    .action((id: string, options: ConnectFlags, command: Command) =>
      run(command, async () => (await load()).updateProvider, {
        id,
        label: options.label,
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
      }),
    )
  provider
    .command('test')
    .description("check the key with the provider's GET /models (exit 1 when it fails)")
    .argument('<id>', 'connection id')
    .action((id: string, _options: object, command: Command) =>
      run(command, async () => (await load()).testProvider, { id }),
    )
  provider
    .command('delete')
    .description('delete a connection (detach it from environments first)')
    .argument('<id>', 'connection id')
    .action((id: string, _options: object, command: Command) =>
      run(command, async () => (await load()).deleteProvider, { id }),
    )

  const env = program.commands.find((command) => command.name() === 'env')
  if (!env) throw new Error('addProviderCommands: call it after addEnvCommands')
  const attached = env
    .command('provider')
    .description('provider connections attached to an environment')
  attached
    .command('list')
    .description('list the attached connections and the names they inject')
    .argument(...ENV_ARG)
    .action((environment: string, _options: object, command: Command) =>
      run(command, async () => (await load()).listAttached, { environment }),
    )
  attached
    .command('attach')
    .description("attach a connection of the environment's owner (one per provider)")
    .argument('<connection-id>', 'connection id (`coffer provider list`)')
    .argument(...ENV_ARG)
    .action((connectionId: string, environment: string, _options: object, command: Command) =>
      run(command, async () => (await load()).attachProvider, { connectionId, environment }),
    )
  attached
    .command('detach')
    .description('detach a connection (the connection itself stays)')
    .argument('<connection-id>', 'connection id')
    .argument(...ENV_ARG)
    .action((connectionId: string, environment: string, _options: object, command: Command) =>
      run(command, async () => (await load()).detachProvider, { connectionId, environment }),
    )
}
