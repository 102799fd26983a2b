#!/usr/bin/env node
// The `coffer` executable (SPEC.md §7: `node bin/coffer.js`): runs the CLI that `npm ci` builds
// (the `prepare` script). CommonJS (bin/package.json says so), so that `coffer run` starts without
// the ES module loader (see src/cli/entry.ts).
'use strict'
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const entry = join(__dirname, '..', 'dist', 'cli', 'entry.cjs')
if (existsSync(entry)) {
  require(entry)
} else {
  process.stderr.write(
    'coffer: the CLI is not built yet. Run `npm ci` (or `npm run build`) first.\n',
  )
  process.exitCode = 1
}
