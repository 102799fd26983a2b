// How the CLI ends on an error, for both ways in (the commander program and `coffer run`'s own
// entry): `coffer: <message>` on stderr, a next step where there is one, and ERROR_OUTCOMES' exit
// code. Anything that is not a CofferError is a bug of the CLI itself, and says so.
import { asCofferError, type CofferError } from '../domain/errors.js'
import { ERROR_OUTCOMES } from '../error-outcomes.js'
import { createOutput } from './output.js'
import { PromptInterrupted } from './prompt.js'

/**
 * Prints `error` for the command at `path` (e.g. `secret create`) and returns the exit code.
 * @param failure the error in the CLI's own words, when the caller already has them (usage errors)
 */
export function reportFailure(error: unknown, path: string, failure?: CofferError): number {
  // Ctrl-C at a prompt: the person knows what they did; nothing to say.
  if (error instanceof PromptInterrupted) return 130
  const reported = failure ?? asCofferError(error)
  const isBug = failure === undefined && reported !== error
  const output = createOutput({ json: false, stdout: process.stdout, stderr: process.stderr })
  output.error(
    reported,
    isBug
      ? 'This is a bug in the Coffer CLI; run with COFFER_DEBUG=1 to see where it happened.'
      : hintFor(reported, path),
  )
  if (isBug && process.env.COFFER_DEBUG) {
    // Opt-in only: a foreign error's text may echo input.
    output.notice(error instanceof Error ? (error.stack ?? error.message) : String(error))
  }
  return ERROR_OUTCOMES[reported.code].exitCode
}

function hintFor(failure: CofferError, path: string): string | undefined {
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
