// Pure: an app's declared needs (SPEC.md §1 "Requirements"), from the parsed data of a
// coffer.yaml or an inference.sh-style app.yaml. Parsing YAML text is the adapters' job; this
// module validates the data and reports each problem with the path where it sits, so the adapter
// can add line numbers.
import { CofferError, type ErrorItem } from './errors.js'
import { parseSecretName } from './names.js'

export interface Requirement {
  readonly key: string
  readonly description?: string
  readonly optional: boolean
}

export interface Manifest {
  /** `owner/name` from coffer.yaml's `environment:`, when given. */
  readonly environment?: string
  readonly secrets: readonly Requirement[]
}

export type ManifestPath = readonly (string | number)[]

export interface ManifestProblem {
  readonly path: ManifestPath
  readonly details: string
}

const DESCRIPTION_MAX = 500

/** Validates parsed manifest data. `hasRequirements` is false when the document declares none
 *  (an app.yaml without `requirements` is not a manifest). Throws `invalid` listing every
 *  problem; `locate` turns a path into a "line N" hint where the parser knows one. */
export function parseManifest(
  data: unknown,
  options: {
    readonly source: string
    readonly locate?: (path: ManifestPath) => string | undefined
    readonly param?: string
  },
): { manifest: Manifest; hasRequirements: boolean } {
  const problems: ManifestProblem[] = []
  const problem = (path: ManifestPath, details: string): void => {
    problems.push({ path, details })
  }
  data ??= {}
  if (!isRecord(data)) {
    throw manifestError(
      [{ path: [], details: 'must be a mapping with a `requirements` key' }],
      options,
    )
  }
  let environment: string | undefined
  if (data.environment !== undefined) {
    if (typeof data.environment === 'string' && /^[^/\s]+\/[^/\s]+$/.test(data.environment))
      environment = data.environment
    else problem(['environment'], 'must be a string like owner/name')
  }
  const requirements = data.requirements
  const secrets: Requirement[] = []
  if (requirements !== undefined && requirements !== null) {
    if (!isRecord(requirements))
      problem(['requirements'], 'must be a mapping with a `secrets` list')
    else if (requirements.secrets !== undefined && requirements.secrets !== null) {
      if (!Array.isArray(requirements.secrets))
        problem(['requirements', 'secrets'], 'must be a list')
      else {
        const seen = new Set<string>()
        for (const [index, item] of (requirements.secrets as unknown[]).entries()) {
          const requirement = parseRequirement(
            item,
            ['requirements', 'secrets', index],
            seen,
            problem,
          )
          if (requirement) secrets.push(requirement)
        }
      }
    }
  }
  if (problems.length > 0) throw manifestError(problems, options)
  return {
    manifest: { ...(environment !== undefined ? { environment } : {}), secrets },
    hasRequirements: requirements !== undefined && requirements !== null,
  }
}

function parseRequirement(
  item: unknown,
  at: ManifestPath,
  seen: Set<string>,
  problem: (path: ManifestPath, details: string) => void,
): Requirement | undefined {
  if (!isRecord(item)) {
    problem(at, 'must be a mapping with a `key`')
    return undefined
  }
  for (const field of Object.keys(item)) {
    if (!['key', 'description', 'optional'].includes(field)) {
      problem([...at, field], `unknown field "${field}" (expected key, description, optional)`)
    }
  }
  if (typeof item.key !== 'string') {
    problem([...at, 'key'], 'is required and must be a string')
    return undefined
  }
  try {
    parseSecretName(item.key)
  } catch (error) {
    problem([...at, 'key'], error instanceof CofferError ? error.message : 'is not a valid name')
    return undefined
  }
  if (seen.has(item.key)) {
    problem([...at, 'key'], `${item.key} is declared twice`)
    return undefined
  }
  seen.add(item.key)
  const { description, optional } = item
  if (
    description !== undefined &&
    (typeof description !== 'string' || description.length > DESCRIPTION_MAX)
  ) {
    problem([...at, 'description'], `must be a string of at most ${DESCRIPTION_MAX} characters`)
    return undefined
  }
  if (optional !== undefined && typeof optional !== 'boolean') {
    problem([...at, 'optional'], 'must be true or false')
    return undefined
  }
  return {
    key: item.key,
    ...(typeof description === 'string' ? { description } : {}),
    optional: optional === true,
  }
}

function manifestError(
  problems: readonly ManifestProblem[],
  options: {
    readonly source: string
    readonly locate?: (path: ManifestPath) => string | undefined
    readonly param?: string
  },
): CofferError {
  const items = problems.map((p): ErrorItem => {
    const where = p.path.length > 0 ? p.path.join('.') : 'the document'
    const line = options.locate?.(p.path)
    return {
      code: 'invalid',
      param: options.param ?? (p.path.length > 0 ? `body.${p.path.join('.')}` : 'body'),
      details: `${options.source}${line ? ` ${line}` : ''}: ${where} ${p.details}`,
    }
  })
  return CofferError.of(items as [ErrorItem, ...ErrorItem[]])
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The stored form of an environment's requirements (the `requirements` column): JSON of
 *  `{secrets: [{key, description?, optional}]}`, or null when the environment declares none.
 *  An empty list stores null: requirements that admit nothing would make every resolve empty. */
export function encodeRequirements(secrets: readonly Requirement[]): string | null {
  return secrets.length === 0 ? null : JSON.stringify({ secrets })
}

/** Reads the stored form back; undefined when the environment declares no requirements. The
 *  column is only written by encodeRequirements, so it is trusted to be well formed. */
export function decodeRequirements(stored: string | null): Manifest | undefined {
  if (stored === null) return undefined
  const { secrets } = JSON.parse(stored) as { secrets: Requirement[] }
  return { secrets }
}
