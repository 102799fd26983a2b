import { describe, expect, it } from 'vitest'
import { parseRunArgv } from './argv.js'

const defaults = {
  env: undefined,
  manifest: undefined,
  watch: false,
  mask: false,
  override: true,
  fallback: undefined,
  dryRun: false,
}

describe('parseRunArgv: the fast path of `coffer run`', () => {
  it('reads a plain run: the command after --, with its own options left alone', () => {
    expect(parseRunArgv(['run', '--env', 'acme/app', '--', 'node', '-e', '1', '--mask'])).toEqual({
      globals: { server: undefined, token: undefined, json: false, team: undefined },
      args: { ...defaults, command: ['node', '-e', '1', '--mask'], env: 'acme/app' },
    })
  })

  it('reads every run option and every global option, before or after `run`', () => {
    const parsed = parseRunArgv([
      '--server',
      'http://127.0.0.1:9',
      'run',
      '--env=acme/app',
      '--manifest',
      'm.yaml',
      '--watch',
      '--mask',
      '--no-override',
      '--fallback',
      'snap.enc',
      '--dry-run',
      '--json',
      '--team',
      'acme',
      '--token',
      't',
    ])
    expect(parsed).toEqual({
      globals: { server: 'http://127.0.0.1:9', token: 't', json: true, team: 'acme' },
      args: {
        command: [],
        env: 'acme/app',
        manifest: 'm.yaml',
        watch: true,
        mask: true,
        override: false,
        fallback: 'snap.enc',
        dryRun: true,
      },
    })
  })

  it('takes the command without -- too, as commander does', () => {
    expect(parseRunArgv(['run', 'true'])?.args.command).toEqual(['true'])
  })

  it.each([
    ['another command', ['secret', 'list']],
    ['another command with run as a value', ['env', 'get', 'run']],
    ['no command', []],
    ['help', ['run', '--help']],
    ['short help', ['run', '-h']],
    ['an unknown option', ['run', '--bogus', '--', 'true']],
    ['an unknown short option', ['run', '-e', 'x', '--', 'true']],
    ['a value for a flag', ['run', '--mask=yes', '--', 'true']],
    ['a missing value', ['run', '--env']],
    ['a value that looks like an option', ['run', '--env', '--mask', '--', 'true']],
    ['a negation commander does not define', ['run', '--override', '--', 'true']],
    ["run's own option before `run`", ['--env', 'a/b', 'run', '--', 'true']],
    ["run's own flag before `run`", ['--mask', 'run', '--env', 'a/b', '--', 'true']],
  ])('leaves %s to commander', (_label, argv) => {
    expect(parseRunArgv(argv)).toBeUndefined()
  })
})
