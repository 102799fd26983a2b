// `coffer run [--env owner/env] [--manifest FILE] [--watch] [--mask] [--no-override]
// [--fallback FILE] [--dry-run] -- CMD [ARGS…]` (SPEC.md §4): one resolve, then CMD with the
// resolved values in its environment and nowhere else — not in argv, not on disk. This is the
// hot path of the CLI: everything not needed to start the child is imported only when used.
// node:fs, not node:fs/promises: loading the promise API alone costs ~1.3 ms of every start.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { CofferError } from '../../domain/errors.js'
import type { Manifest } from '../../domain/manifest.js'
import { apiPath, type ApiClient } from '../api-client.js'
import type { CliDeps } from '../deps.js'
import { forwardSignals, startChild, StartError, type RunningChild } from '../run/supervise.js'

export interface RunArgs {
  readonly command: readonly string[]
  readonly env?: string | undefined
  readonly manifest?: string | undefined
  readonly watch: boolean
  readonly mask: boolean
  /** False with --no-override: inherited variables keep their values. */
  readonly override: boolean
  readonly fallback?: string | undefined
  readonly dryRun: boolean
}

/** What one resolve gave: SPEC.md §3.7's answer. */
export interface Resolved {
  readonly revision: number
  readonly values: Readonly<Record<string, string>>
  readonly sources: Readonly<Record<string, string>>
}

/** A child asked to stop gets this long to exit before it is killed (SPEC.md §4 --watch). */
const STOP_GRACE_MS = 10_000
const WATCH_WAIT_SECONDS = 30
const RETRY_MIN_MS = 500
const RETRY_MAX_MS = 10_000

export async function run(args: RunArgs, deps: CliDeps): Promise<number> {
  const [program, ...programArgs] = args.command
  if (program === undefined && !args.dryRun) {
    throw new CofferError('usage', 'Give the command to run after `--`: coffer run -- CMD [ARGS…]')
  }
  const manifest = await findManifest(args.manifest)
  const environment = environmentOf(args.env ?? manifest?.environment)
  const session = await deps.session()
  if (session.token === undefined) {
    throw new CofferError(
      'unauthenticated',
      `Not logged in to ${session.server}: run \`coffer login\`, or set COFFER_TOKEN to a runtime token`,
    )
  }
  const token = session.token
  const api = await deps.api()
  const requirements = manifest?.secrets.length
    ? { secrets: manifest.secrets.map(({ key, optional }) => ({ key, optional })) }
    : undefined
  const resolveOnce = (signal?: AbortSignal): Promise<Resolved> =>
    resolveEnvironment(api, environment, requirements, signal)

  let resolved: Resolved
  try {
    resolved = await resolveOnce()
    if (args.fallback !== undefined) {
      await saveFallback(args.fallback, token, api.server, environment, resolved)
    }
  } catch (error) {
    if (!(args.fallback !== undefined && isUnreachable(error))) throw error
    resolved = await loadFallback(args.fallback, token, api.server, environment)
    deps.output.warn(
      `cannot reach ${api.server}: running from the fallback snapshot ${args.fallback} (revision ${resolved.revision})`,
    )
  }

  if (args.dryRun) {
    const names = Object.keys(resolved.sources).sort()
    deps.output.result(
      { environment: environment.ref, revision: resolved.revision, sources: resolved.sources },
      () =>
        names.length === 0
          ? `Nothing would be injected from ${environment.ref} (revision ${resolved.revision}).`
          : names
              .map((name) => `${name.padEnd(width(names))}  ${resolved.sources[name] ?? ''}`)
              .join('\n'),
    )
    return 0
  }

  const start = async (current: Resolved): Promise<RunningChild> => {
    const masked = args.mask ? await maskerFor(current, deps) : undefined
    return startChild({
      command: program ?? '',
      args: programArgs,
      env: childEnvironment(process.env, current.values, args.override),
      ...(masked ? { mask: masked } : {}),
    })
  }

  let child: RunningChild
  try {
    child = await start(resolved)
  } catch (error) {
    return startFailure(error, deps)
  }
  const stopForwarding = forwardSignals(() => child.process)
  try {
    if (!args.watch) return (await child.done).code
    const watching = new AbortController()
    try {
      for (;;) {
        const next = await Promise.race([
          child.done.then((outcome) => ({ exited: outcome.code }) as const),
          waitForChange(resolveOnce, api, environment, resolved, deps, watching.signal),
        ])
        if ('exited' in next) return next.exited
        deps.output.notice(
          `${environment.ref} changed (revision ${next.revision}): ${describeChanges(resolved, next)}; restarting`,
        )
        await child.stop(STOP_GRACE_MS)
        resolved = next
        if (args.fallback !== undefined) {
          await saveFallback(args.fallback, token, api.server, environment, resolved)
        }
        try {
          child = await start(resolved)
        } catch (error) {
          return startFailure(error, deps)
        }
      }
    } finally {
      watching.abort()
    }
  } finally {
    stopForwarding()
  }
}

/** A program that cannot start exits as a shell would say: 127 not found, 126 not executable. */
function startFailure(error: unknown, deps: CliDeps): number {
  if (!(error instanceof StartError)) throw error
  deps.output.error(new CofferError('bad_request', error.message))
  return error.exitCode
}

interface EnvironmentRef {
  readonly owner: string
  readonly name: string
  readonly ref: string
}

function environmentOf(ref: string | undefined): EnvironmentRef {
  if (ref === undefined) {
    throw new CofferError(
      'usage',
      'No environment named: pass --env owner/name, or put `environment: owner/name` in ./coffer.yaml',
    )
  }
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(ref)
  if (!match?.[1] || !match[2]) {
    throw new CofferError('usage', `"${ref}" is not an environment: use owner/name`)
  }
  return { owner: match[1], name: match[2], ref }
}

/** --manifest FILE, else ./coffer.yaml, else ./app.yaml when it declares requirements. */
async function findManifest(path: string | undefined): Promise<Manifest | undefined> {
  const candidates = path === undefined ? ['coffer.yaml', 'app.yaml'] : [path]
  for (const candidate of candidates) {
    let text: string
    try {
      text = readFileSync(candidate, 'utf8')
    } catch (error) {
      if (path === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw new CofferError(
        'usage',
        `Cannot read the manifest ${candidate} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      )
    }
    // The YAML parser is loaded only when there is a manifest to read.
    const { parseManifestYaml } = await import('../../formats/manifest-yaml.js')
    const parsed = parseManifestYaml(text, candidate, '')
    if (candidate === 'app.yaml' && path === undefined && !parsed.hasRequirements) continue
    return parsed.manifest
  }
  return undefined
}

async function resolveEnvironment(
  api: ApiClient,
  environment: EnvironmentRef,
  requirements: { secrets: { key: string; optional: boolean }[] } | undefined,
  signal?: AbortSignal,
): Promise<Resolved> {
  try {
    const { data } = await api.request<Resolved>(
      'POST',
      apiPath`/environments/${environment.owner}/${environment.name}/resolve`,
      { body: requirements ? { requirements } : {}, ...(signal ? { signal } : {}) },
    )
    return data
  } catch (error) {
    if (error instanceof CofferError && error.code === 'missing_required') {
      const keys = error.items.map((item) => item.param.replace(/^requirements\./, ''))
      throw new CofferError(
        'missing_required',
        `${environment.ref} is missing required ${keys.length === 1 ? 'key' : 'keys'} ${keys.join(', ')}: set ${keys.length === 1 ? 'it' : 'them'} with \`coffer env secret create ${environment.ref} --name NAME\`, or mark them optional in the manifest`,
      )
    }
    throw error
  }
}

/** The child's environment: the parent's, without coffer's own credential, plus the values. */
export function childEnvironment(
  inherited: NodeJS.ProcessEnv,
  values: Readonly<Record<string, string>>,
  override: boolean,
): NodeJS.ProcessEnv {
  // Security: the token can resolve the whole environment; the child gets only what it declared.
  const env = { ...inherited }
  delete env.COFFER_TOKEN
  for (const [name, value] of Object.entries(values)) {
    if (override || env[name] === undefined) env[name] = value
  }
  return env
}

async function maskerFor(resolved: Resolved, deps: CliDeps) {
  const { maskingStream, MASK_MIN_LENGTH } = await import('../run/masker.js')
  const secrets = Object.entries(resolved.values)
    .filter(([name]) => resolved.sources[name] !== 'variable')
    .map(([name, value]) => ({ name, value }))
  const short = secrets.filter(({ value }) => value.length < MASK_MIN_LENGTH)
  if (short.length > 0) {
    deps.output.warn(
      `not masking ${short.map((s) => s.name).join(', ')}: values shorter than ${MASK_MIN_LENGTH} characters would mask ordinary output`,
    )
  }
  return () => maskingStream(secrets)
}

/** Long-polls the revision until resolve gives different values; rides out server restarts. */
async function waitForChange(
  resolveOnce: (signal?: AbortSignal) => Promise<Resolved>,
  api: ApiClient,
  environment: EnvironmentRef,
  current: Resolved,
  deps: CliDeps,
  signal: AbortSignal,
): Promise<Resolved> {
  let seen = current.revision
  let delay = RETRY_MIN_MS
  let lost = false
  for (;;) {
    try {
      const { data } = await api.request<{ revision: number }>(
        'GET',
        apiPath`/environments/${environment.owner}/${environment.name}/revision`,
        {
          query: { after: seen, waitSeconds: WATCH_WAIT_SECONDS },
          timeoutMs: (WATCH_WAIT_SECONDS + 15) * 1000,
          signal,
        },
      )
      if (lost) deps.output.notice(`reconnected to ${api.server}`)
      lost = false
      delay = RETRY_MIN_MS
      if (data.revision <= seen) continue
      seen = data.revision
      const next = await resolveOnce(signal)
      seen = next.revision
      if (!sameValues(current, next)) return next
    } catch (error) {
      if (signal.aborted) return new Promise<never>(() => undefined)
      if (isUnreachable(error)) {
        if (!lost) {
          deps.output.warn(
            `lost ${api.server}; retrying with backoff while the program keeps running`,
          )
        }
        lost = true
      } else {
        // A refused resolve (missing keys, revoked token): the running program keeps its values.
        // Security: only a CofferError's words are ours; another error's text may echo input.
        const reason = error instanceof CofferError ? error.message : 'the resolve failed'
        deps.output.warn(`${reason}; the program keeps its current values`)
      }
      await sleep(delay, signal)
      delay = Math.min(delay * 2, RETRY_MAX_MS)
    }
  }
}

function sameValues(a: Resolved, b: Resolved): boolean {
  const names = new Set([...Object.keys(a.values), ...Object.keys(b.values)])
  for (const name of names) if (a.values[name] !== b.values[name]) return false
  return true
}

/** Names only (SPEC.md §4): "changed A, added B, removed C". */
export function describeChanges(before: Resolved, after: Resolved): string {
  const changed: string[] = []
  const added: string[] = []
  const removed: string[] = []
  for (const name of Object.keys(after.values).sort()) {
    if (!(name in before.values)) added.push(name)
    else if (before.values[name] !== after.values[name]) changed.push(name)
  }
  for (const name of Object.keys(before.values).sort()) {
    if (!(name in after.values)) removed.push(name)
  }
  return (
    [
      changed.length ? `changed ${changed.join(', ')}` : '',
      added.length ? `added ${added.join(', ')}` : '',
      removed.length ? `removed ${removed.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ') || 'no value changed'
  )
}

function isUnreachable(error: unknown): boolean {
  return error instanceof CofferError && error.code === 'unavailable'
}

const width = (names: readonly string[]): number => Math.max(...names.map((n) => n.length))

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

async function saveFallback(
  path: string,
  token: string,
  server: string,
  environment: EnvironmentRef,
  resolved: Resolved,
): Promise<void> {
  const { sealFallback } = await import('../../crypto/fallback.js')
  const text = sealFallback(token, {
    server,
    environment: environment.ref,
    revision: resolved.revision,
    savedAt: new Date().toISOString(),
    values: resolved.values,
    sources: resolved.sources,
  })
  // Written whole or not at all, readable by this user only.
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, text, { mode: 0o600 })
  renameSync(temporary, path)
}

async function loadFallback(
  path: string,
  token: string,
  server: string,
  environment: EnvironmentRef,
): Promise<Resolved> {
  const { openFallback } = await import('../../crypto/fallback.js')
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new CofferError(
      'unavailable',
      `Cannot reach ${server}, and the fallback snapshot ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): it is written after a successful run with --fallback`,
    )
  }
  const snapshot = openFallback(token, text, { server, environment: environment.ref })
  return { revision: snapshot.revision, values: snapshot.values, sources: snapshot.sources }
}
