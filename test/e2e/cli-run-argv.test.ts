// `coffer run`'s two parsers (src/cli/run/argv.ts): plain runs take the bundled fast path, and
// everything it is unsure of reaches commander, which gives help and usage errors in the CLI's
// words. Engine-free: none of these needs a server.
import { describe, expect, it } from 'vitest'
import { RUN_OPTIONS, flagsOf } from '../../src/cli/run/argv.js'
import { expectExitCode, runCli } from '../support/cli.js'

describe('coffer run: argv', () => {
  it('shows commander help listing every run option for --help and -h', async () => {
    for (const help of ['--help', '-h']) {
      const result = expectExitCode(await runCli(['run', help]), 0)
      for (const option of RUN_OPTIONS) expect(result.stdout).toContain(flagsOf(option))
    }
  })

  it('answers an unknown option as commander does: exit 2 and where to look', async () => {
    const result = expectExitCode(await runCli(['run', '--bogus', '--', 'true']), 2)
    expect(result.stderr).toContain("unknown option '--bogus'")
    expect(result.stderr).toContain('coffer run --help')
  })

  it("refuses run's own options before `run`, as commander does", async () => {
    const result = expectExitCode(await runCli(['--env', 'a/b', 'run', '--', 'true']), 2)
    expect(result.stderr).toContain("unknown option '--env'")
  })

  it('answers a missing option value with exit 2', async () => {
    const result = expectExitCode(await runCli(['run', '--env']), 2)
    expect(result.stderr).toContain("'--env <owner/env>' argument missing")
  })

  it('runs the fast path to its own errors: no command, no environment, not logged in', async () => {
    expect(expectExitCode(await runCli(['run']), 2).stderr).toContain('Give the command to run')
    expect(expectExitCode(await runCli(['run', '--', 'true']), 2).stderr).toContain(
      'No environment named',
    )
    const unauthenticated = await runCli(['run', '--env', 'a/b', '--', 'true'], {
      env: { COFFER_SERVER: 'http://127.0.0.1:9' },
    })
    expect(unauthenticated.stderr).toContain('Not logged in to http://127.0.0.1:9')
  })
})
