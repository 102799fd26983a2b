// Reads a coffer.yaml or an inference.sh-style app.yaml with a real YAML parser and hands the
// data to the domain's validation, adding line numbers to every problem (SPEC.md §1
// "Requirements"). Used by the server (`PUT …/requirements` with YAML) and the CLI.
import { LineCounter, parseDocument, isNode } from 'yaml'
import { CofferError } from '../domain/errors.js'
import { parseManifest, type Manifest, type ManifestPath } from '../domain/manifest.js'

/** The largest manifest accepted: requirements are names and descriptions, not data. */
export const MANIFEST_MAX_BYTES = 256 * 1024

export interface ParsedManifest {
  readonly manifest: Manifest
  /** False for an app.yaml that declares no `requirements`. */
  readonly hasRequirements: boolean
}

export function parseManifestYaml(text: string, source: string, param = 'body'): ParsedManifest {
  if (Buffer.byteLength(text, 'utf8') > MANIFEST_MAX_BYTES) {
    throw new CofferError(
      'too_large',
      `${source} is larger than ${MANIFEST_MAX_BYTES / 1024} KiB`,
      { param },
    )
  }
  const lineCounter = new LineCounter()
  // Security: no custom tags or merge keys; aliases are bounded by the parser's default limit.
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: false,
  })
  const [syntaxError] = document.errors
  if (syntaxError) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0])
    throw new CofferError(
      'invalid',
      `${source} line ${line}, column ${col}: ${firstLine(syntaxError.message)}`,
      { param },
    )
  }
  const locate = (path: ManifestPath): string | undefined => {
    for (let depth = path.length; depth > 0; depth -= 1) {
      const node: unknown = document.getIn(path.slice(0, depth), true)
      if (isNode(node) && node.range) return `line ${lineCounter.linePos(node.range[0]).line}`
    }
    return undefined
  }
  let data: unknown
  try {
    data = document.toJS({ maxAliasCount: 100 })
  } catch (cause) {
    // The parser refuses documents whose aliases expand too far (a "billion laughs").
    throw new CofferError('invalid', `${source} expands too many YAML aliases`, { param, cause })
  }
  return parseManifest(data, { source, locate, param })
}

const firstLine = (message: string): string => message.split('\n', 1)[0] ?? message
