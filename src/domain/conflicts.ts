// Pure: how a taken name is explained (SPEC.md §1 "Conflict rules"). The rule itself is enforced
// by the database (one claimed name per environment); this module words the 409.
import { CofferError } from './errors.js'
import type { EntrySource } from './types.js'

const HOLDER: Record<EntrySource, string> = {
  direct: 'A direct secret',
  variable: 'An environment variable',
  linked: 'A linked global secret',
  provider: 'An attached provider connection',
}

export function holderDetails(holder: EntrySource, name: string): string {
  return `${HOLDER[holder]} with the name ${name} already exists`
}

export function nameTaken(holder: EntrySource, name: string, param = 'body.name'): CofferError {
  return new CofferError('name_conflict', holderDetails(holder, name), { param })
}
