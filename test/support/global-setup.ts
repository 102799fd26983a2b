// Builds dist/ once before the run, so end-to-end tests start the same `bin/coffer.js` a user runs.
import { execFileSync } from 'node:child_process'

export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  })
  execFileSync(process.execPath, ['scripts/bundle-cli.js'], { stdio: 'inherit' })
}
