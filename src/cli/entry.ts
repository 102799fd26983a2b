// The `coffer` executable's code, bundled with everything `coffer run` needs into one CommonJS
// file (dist/cli/entry.cjs, see scripts/bundle-cli.js): run starts without the ES module loader,
// commander or any other command. Every other command line goes to the commander program.
import { run } from './commands/run.js'
import { createDeps } from './deps.js'
import { reportFailure } from './failure.js'
import { parseRunArgv } from './run/argv.js'

async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseRunArgv(argv.slice(2))
  if (parsed === undefined) {
    await import('./main.js')
    return
  }
  try {
    process.exitCode = await run(parsed.args, createDeps(parsed.globals))
  } catch (error) {
    process.exitCode = reportFailure(error, 'run')
  }
}

void main(process.argv)
