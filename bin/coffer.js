#!/usr/bin/env node
// The `coffer` executable: runs the compiled CLI that `npm ci` builds (the `prepare` script).
import { existsSync } from 'node:fs'

const main = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write(
    'coffer: the CLI is not built yet. Run `npm ci` (or `npm run build`) first.\n',
  )
  process.exit(1)
}
await import(main.href)
