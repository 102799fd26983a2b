// Pure: `owner/name`, the way every `coffer env …` command names an environment (SPEC.md §1
// "Environments"), and the API paths under it. Names are checked by the server; this only splits.
import { CofferError } from '../domain/errors.js'

export interface EnvironmentRef {
  readonly owner: string
  readonly name: string
}

/** @throws CofferError('usage') unless the text is exactly two non-empty parts around one `/`. */
export function parseEnvironmentRef(text: string): EnvironmentRef {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(text)
  if (!match?.[1] || !match[2]) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
    throw new CofferError(
      'usage',
      `"${shown}" is not an environment: name it owner/name, e.g. acme/support-agent (\`coffer env list\` shows yours)`,
      { param: 'environment' },
    )
  }
  return { owner: match[1], name: match[2] }
}

export const formatEnvironmentRef = (ref: EnvironmentRef): string => `${ref.owner}/${ref.name}`

/** `/environments/{owner}/{env}` plus `suffix`, each part percent-encoded as one segment. */
export function environmentPath(ref: EnvironmentRef, ...suffix: readonly string[]): string {
  return ['/environments', ref.owner, ref.name, ...suffix]
    .map((part, index) => (index === 0 ? part : encodeURIComponent(part)))
    .join('/')
}
