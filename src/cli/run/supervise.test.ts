import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { commandProblem } from './supervise.js'

describe('commandProblem: CMD looked up as execvp would, before setpriv execs it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-command-'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  mkdirSync(join(bin, 'a-directory'))
  writeFileSync(join(bin, 'runnable'), '#!/bin/sh\n', { mode: 0o755 })
  writeFileSync(join(bin, 'plain'), 'data\n', { mode: 0o644 })
  chmodSync(join(bin, 'plain'), 0o644)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('finds a program on PATH or by path', () => {
    expect(commandProblem('runnable', `/nonexistent:${bin}`)).toBeUndefined()
    expect(commandProblem(join(bin, 'runnable'), '')).toBeUndefined()
    expect(commandProblem('sh', undefined)).toBeUndefined() // the default PATH, /usr/bin:/bin
  })

  it('says ENOENT when nothing by that name exists', () => {
    expect(commandProblem('no-such-program', bin)?.code).toBe('ENOENT')
    expect(commandProblem(join(bin, 'missing'), bin)?.code).toBe('ENOENT')
    expect(commandProblem('', bin)?.code).toBe('ENOENT')
  })

  it('says EACCES for a file that may not be executed or a directory, unless another runs', () => {
    expect(commandProblem('plain', bin)?.code).toBe('EACCES')
    expect(commandProblem(join(bin, 'plain'), '')?.code).toBe('EACCES')
    expect(commandProblem('a-directory', bin)?.code).toBe('EACCES')
    const other = join(dir, 'other')
    mkdirSync(other)
    writeFileSync(join(other, 'plain'), '#!/bin/sh\n', { mode: 0o755 })
    expect(commandProblem('plain', `${bin}:${other}`)).toBeUndefined()
  })
})
