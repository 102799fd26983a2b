// Pure: what a .env import will do, decided before anything is written (SPEC.md §3.6). The
// import is all or nothing: the services layer applies a plan in one transaction, or refuses.
import { holderDetails } from './conflicts.js'
import { CofferError, type ErrorItem } from './errors.js'
import type { EntrySource } from './types.js'

export type ImportTarget = 'secret' | 'variable'
export type OnConflict = 'fail' | 'skip' | 'overwrite'

export interface ImportPlan {
  readonly create: readonly string[]
  /** Names held by an entry of the same kind, replaced (`overwrite`). */
  readonly update: readonly string[]
  readonly skip: readonly string[]
}

const KIND_OF: Record<ImportTarget, EntrySource> = { secret: 'direct', variable: 'variable' }

/** `holders` maps each name already taken in the environment to the kind holding it. Throws
 *  409 `name_conflict` listing every conflicting name when the plan cannot go ahead. */
export function planImport(
  names: readonly string[],
  holders: ReadonlyMap<string, EntrySource>,
  target: ImportTarget,
  onConflict: OnConflict,
): ImportPlan {
  const create: string[] = []
  const update: string[] = []
  const skip: string[] = []
  const conflicts: ErrorItem[] = []
  for (const name of names) {
    const holder = holders.get(name)
    if (holder === undefined) create.push(name)
    else if (onConflict === 'skip') skip.push(name)
    // `overwrite` replaces entries of the same kind only; another kind's name is still a 409.
    else if (onConflict === 'overwrite' && holder === KIND_OF[target]) update.push(name)
    else
      conflicts.push({
        code: 'name_conflict',
        param: 'body.content',
        details: holderDetails(holder, name),
      })
  }
  const [first, ...rest] = conflicts
  if (first) throw CofferError.of([first, ...rest])
  return { create, update, skip }
}
