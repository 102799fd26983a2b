// `.env` import (SPEC.md §3.6): all or nothing, in one transaction. The plan is made under the
// owner's lock from the names claimed at that moment, then every new name is claimed through the
// same mechanism as single writes, so no concurrent writer can slip in between plan and write.
import { nameTaken } from '../domain/conflicts.js'
import { CofferError, type ErrorItem } from '../domain/errors.js'
import { planImport, type ImportTarget, type OnConflict } from '../domain/import-plan.js'
import type { Redacted } from '../domain/redacted.js'
import type { Actor, EntrySource, RequestContext } from '../domain/types.js'
import { parseValue } from '../domain/values.js'
import { parseDotenvImport } from '../formats/dotenv.js'
import type { DirectSecretRecord, VariableRecord } from '../store/store.js'
import { isoNow, type ServiceDeps } from './deps.js'
import type { EntryWriter, EnvironmentPath } from './entries.js'
import type { EnvironmentService } from './environments.js'

export interface ImportInput {
  readonly content: string
  readonly format: 'dotenv'
  readonly as: ImportTarget
  readonly onConflict: OnConflict
}

export interface ImportResult {
  readonly created: string[]
  readonly updated: string[]
  readonly skipped: string[]
  /** Keys the file defines more than once (the last definition wins), with their lines. */
  readonly duplicates: { name: string; lines: number[] }[]
}

const PARAM = 'body.content'
const KIND: Record<ImportTarget, EntrySource> = { secret: 'direct', variable: 'variable' }

export function createImportService(
  deps: ServiceDeps,
  environments: EnvironmentService,
  writer: EntryWriter,
) {
  const { store } = deps

  return {
    async importDotenv(
      actor: Actor,
      path: EnvironmentPath,
      input: ImportInput,
      context: RequestContext,
    ): Promise<ImportResult> {
      const parsed = parseDotenvImport(input.content, PARAM)
      if (parsed.entries.length === 0) {
        throw new CofferError(
          'invalid',
          'The file defines no entries: expected lines like NAME=value',
          { param: PARAM },
        )
      }
      const values = parseValues(parsed.entries, input.as)
      const names = parsed.entries.map((entry) => entry.name)
      const kind = KIND[input.as]

      return store.transaction(async (tx) => {
        const visible = await writer.writable(tx, actor, path)
        const { environment } = visible
        const holders = new Map(
          (await tx.listClaims(environment.id)).map((claim) => [claim.name, claim.kind]),
        )
        const plan = planImport(names, holders, input.as, input.onConflict)
        const now = isoNow(deps)
        const valueOf = (name: string): Redacted => {
          const value = values.get(name)
          if (!value) throw new Error(`no parsed value for ${name}`)
          return value
        }

        const created = plan.create.map((name) => ({ name, id: deps.newId() }))
        for (const { name, id } of created) {
          const holder = await tx.claimName({
            environmentId: environment.id,
            name,
            kind,
            entryId: id,
          })
          // Under the owner's lock nobody else can take it; if it happens anyway, roll back all.
          if (holder) throw nameTaken(holder.kind, name, PARAM)
        }

        const directs =
          input.as === 'secret' && plan.update.length > 0
            ? new Map((await tx.listDirectSecrets(environment.id)).map((s) => [s.name, s]))
            : new Map<string, DirectSecretRecord>()
        const variables =
          input.as === 'variable' && plan.update.length > 0
            ? new Map((await tx.listVariables(environment.id)).map((v) => [v.name, v]))
            : new Map<string, VariableRecord>()
        const changedVariables = plan.update.filter(
          (name) => variables.get(name)?.value !== valueOf(name).reveal(),
        )
        const changesResolve =
          created.length > 0 ||
          (input.as === 'secret' ? plan.update.length > 0 : changedVariables.length > 0)
        // One revision for the whole import (SPEC.md §1: it moves with every change to resolve).
        const revision = changesResolve ? await environments.changed(tx, environment) : 0

        for (const { name, id } of created) {
          const entry = { id, name, value: valueOf(name), description: '', revision, now }
          if (input.as === 'secret')
            await writer.insertDirectSecret(tx, visible, actor, { ...entry, generator: null })
          else await writer.insertVariable(tx, visible, entry)
        }
        if (input.as === 'secret') {
          for (const name of plan.update) {
            const current = directs.get(name)
            if (!current) throw new Error(`claimed direct secret ${name} has no row`)
            const { version, hint } = await writer.writeVersion(
              tx,
              visible,
              current,
              name,
              valueOf(name),
              actor,
              now,
            )
            await tx.updateDirectSecret(current.id, {
              version,
              hint,
              updatedRevision: revision,
              updatedAt: now,
            })
          }
        } else {
          for (const name of changedVariables) {
            const current = variables.get(name)
            if (!current) throw new Error(`claimed variable ${name} has no row`)
            await tx.updateVariable(current.id, {
              value: valueOf(name).reveal(),
              updatedRevision: revision,
              updatedAt: now,
            })
          }
        }

        const result: ImportResult = {
          created: created.map((c) => c.name),
          updated: [...plan.update],
          skipped: [...plan.skip],
          duplicates: parsed.duplicates.map((d) => ({ name: d.name, lines: [...d.lines] })),
        }
        await writer.audit(
          tx,
          visible,
          actor,
          'env.import',
          {
            // Names only, never values.
            as: input.as,
            onConflict: input.onConflict,
            created: result.created,
            updated: result.updated,
            skipped: result.skipped,
          },
          context,
        )
        return result
      })
    },
  }
}

/** Each value checked as a single write would check it; every bad one is listed by line and
 *  name (never by value). */
function parseValues(
  entries: readonly { name: string; value: string; line: number }[],
  as: ImportTarget,
): Map<string, Redacted> {
  const values = new Map<string, Redacted>()
  const problems: ErrorItem[] = []
  for (const entry of entries) {
    try {
      values.set(entry.name, parseValue(entry.value, PARAM, { allowEmpty: as === 'variable' }))
    } catch (error) {
      if (!(error instanceof CofferError)) throw error
      problems.push({
        code: error.code,
        param: PARAM,
        details: `line ${entry.line} (${entry.name}): ${error.message}`,
      })
    }
  }
  const [first, ...rest] = problems
  if (first) throw CofferError.of([first, ...rest])
  return values
}

export type ImportService = ReturnType<typeof createImportService>
