// Environments (SPEC.md §1 "Environments", §3.3): `owner/name`, a description, and the revision
// that moves with every change that can alter what `resolve` returns.
import { CofferError } from '../domain/errors.js'
import { parseEnvironmentName } from '../domain/names.js'
import { assertAllowed } from '../domain/scopes.js'
import type { Actor, OwnerRef, RequestContext } from '../domain/types.js'
import { parseDescription } from '../domain/values.js'
import type { EnvironmentRecord, Store } from '../store/store.js'
import { renameConflict } from './accounts.js'
import { recordAudit } from './audit.js'
import { isoNow, type ServiceDeps } from './deps.js'
import type { Paged } from './secrets.js'

export interface EnvironmentView {
  readonly id: string
  readonly owner: string
  readonly name: string
  readonly description: string
  readonly revision: number
  readonly createdAt: string
  readonly updatedAt: string
}

/** An environment the actor may act on, with its owner. */
export interface VisibleEnvironment {
  readonly environment: EnvironmentRecord
  readonly owner: OwnerRef
}

export const environmentView = (
  environment: EnvironmentRecord,
  owner: OwnerRef,
): EnvironmentView => ({
  id: environment.id,
  owner: owner.name,
  name: environment.name,
  description: environment.description,
  revision: environment.revision,
  createdAt: environment.createdAt,
  updatedAt: environment.updatedAt,
})

/** `owner/name`, as SPEC.md names an environment in details and listings. */
export const environmentRef = (ownerName: string, name: string): string => `${ownerName}/${name}`

export function createEnvironmentService(deps: ServiceDeps) {
  const { store } = deps

  /** The environment `owner/name` if the actor may `action` on it. Unknown owners, unknown
   *  environments and invisible ones answer 404 alike, so existence does not leak. */
  async function visible(
    actor: Actor,
    ownerName: string,
    name: string,
    action: 'env.read' | 'env.write' | 'env.resolve' | 'env.watch',
    tx: Store = store,
  ): Promise<VisibleEnvironment> {
    const what = `environment ${environmentRef(ownerName, name)}`
    if (actor.kind === 'runtime') {
      // Security: a runtime token sees its own environment only; any other environment, of its
      // owner or not, answers exactly as an unknown one. On its own, scopes.ts decides (403
      // for everything but resolve and watch). One read: the token names its environment, and
      // the path must name that one (owner and environment names are unique).
      const own = await tx.findEnvironmentWithOwner(actor.environmentId)
      if (
        own?.owner.id !== actor.ownerId ||
        own.owner.name !== ownerName ||
        own.environment.name !== name
      ) {
        throw new CofferError('not_found', `The ${what} was not found`, { param: 'path.env' })
      }
      assertAllowed(
        actor,
        action,
        { kind: 'environment', owner: own.owner, environmentId: own.environment.id },
        { what, param: 'path.env' },
      )
      return own
    }
    const found = await tx.findOwnerByName(ownerName)
    const owner: OwnerRef = found ?? { kind: 'team', id: '', name: ownerName }
    // Security: an invisible owner answers exactly as an unknown one (same code, words, param).
    assertAllowed(actor, 'env.read', { kind: 'owner', owner }, { what, param: 'path.owner' })
    if (!found)
      throw new CofferError('not_found', `The ${what} was not found`, { param: 'path.owner' })
    const environment = isEnvironmentName(name)
      ? await tx.findEnvironmentByName(owner.id, name)
      : undefined
    if (!environment) {
      throw new CofferError('not_found', `The ${what} was not found`, { param: 'path.env' })
    }
    assertAllowed(
      actor,
      action,
      { kind: 'environment', owner, environmentId: environment.id },
      { what, param: 'path.env' },
    )
    return { environment, owner }
  }

  /** The environment with this id if the actor may `action` on it (the seed-compatible routes
   *  name environments by id, SPEC.md §3.8). Unknown and invisible ids answer 404 alike. */
  async function visibleById(
    actor: Actor,
    id: string,
    action: 'env.read' | 'env.write',
    param = 'path.envId',
    tx: Store = store,
  ): Promise<VisibleEnvironment> {
    const what = 'environment'
    const environment = /^c[a-z0-9]{24}$/.test(id) ? await tx.findEnvironmentById(id) : undefined
    const found = environment && (await tx.findOwnerById(environment.ownerId))
    const owner: OwnerRef = found ?? { kind: 'team', id: '', name: '' }
    // Security: an invisible environment answers exactly as an unknown one.
    assertAllowed(actor, 'env.read', { kind: 'owner', owner }, { what, param })
    if (!environment || !found) {
      throw new CofferError('not_found', `The ${what} was not found`, { param })
    }
    assertAllowed(
      actor,
      action,
      { kind: 'environment', owner, environmentId: environment.id },
      { what, param },
    )
    return { environment, owner }
  }

  /** The owner named in a request, if the actor may `action` on it (404 when invisible). */
  async function visibleOwner(
    actor: Actor,
    ownerName: string,
    action: 'env.read' | 'env.write',
    param: string,
  ): Promise<OwnerRef> {
    const found = await store.findOwnerByName(ownerName)
    const owner: OwnerRef = found ?? { kind: 'team', id: '', name: ownerName }
    const what = `owner ${ownerName}`
    assertAllowed(actor, action, { kind: 'owner', owner }, { what, param })
    if (!found) throw new CofferError('not_found', `The ${what} was not found`, { param })
    return owner
  }

  /** Moves the revision: call it in the transaction of every change that can alter resolve. */
  async function changed(tx: Store, environment: EnvironmentRecord): Promise<number> {
    return tx.bumpRevision(environment.id, isoNow(deps))
  }

  return {
    visible,
    visibleById,
    changed,

    async list(
      actor: Actor,
      query: { owner?: string | undefined; limit: number; cursor?: string | undefined },
    ): Promise<Paged<EnvironmentView>> {
      let owner: OwnerRef
      if (query.owner !== undefined) {
        owner = await visibleOwner(actor, query.owner, 'env.read', 'query.owner')
      } else {
        assertAllowed(actor, 'account.use', { kind: 'account' })
        if (actor.kind !== 'user') {
          throw new CofferError(
            'forbidden',
            'A runtime token can only resolve and watch its own environment',
          )
        }
        owner = { kind: 'user', id: actor.userId, name: actor.username }
      }
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
      const rows = await store.listEnvironments(owner.id, {
        ...(after !== undefined ? { after } : {}),
        limit: query.limit + 1,
      })
      const page = rows.slice(0, query.limit)
      const last = page.at(-1)
      return {
        items: page.map((row) => environmentView(row, owner)),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.name) : null,
      }
    },

    async create(
      actor: Actor,
      input: { owner: string; name: string; description?: string | undefined },
      context: RequestContext,
    ): Promise<EnvironmentView> {
      const owner = await visibleOwner(actor, input.owner, 'env.write', 'body.owner')
      const name = parseEnvironmentName(input.name)
      const description = parseDescription(input.description)
      const now = isoNow(deps)
      const environment: EnvironmentRecord = {
        id: deps.newId(),
        ownerId: owner.id,
        name,
        description,
        revision: 1,
        requirements: null,
        createdAt: now,
        updatedAt: now,
      }
      await store.transaction(async (tx) => {
        await tx.lockOwner(owner.id)
        await tx
          .insertEnvironment(environment)
          .catch(
            renameConflict(
              `An environment with the name ${name} already exists in ${owner.name}`,
              'body.name',
            ),
          )
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'env.create',
          target: { environmentId: environment.id, environment: environmentRef(owner.name, name) },
          context,
          environmentId: environment.id,
        })
      })
      return environmentView(environment, owner)
    },

    async get(actor: Actor, ownerName: string, name: string): Promise<EnvironmentView> {
      const { environment, owner } = await visible(actor, ownerName, name, 'env.read')
      return environmentView(environment, owner)
    },

    /** Description only: it cannot alter resolve, so the revision stays (SPEC.md §1). */
    async update(
      actor: Actor,
      ownerName: string,
      name: string,
      input: { description?: string | undefined },
      context: RequestContext,
    ): Promise<EnvironmentView> {
      const description =
        input.description === undefined ? undefined : parseDescription(input.description)
      return store.transaction(async (tx) => {
        const { environment, owner } = await visible(actor, ownerName, name, 'env.write', tx)
        await tx.lockOwner(owner.id)
        const now = isoNow(deps)
        await tx.updateEnvironment(environment.id, {
          ...(description !== undefined ? { description } : {}),
          updatedAt: now,
        })
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'env.update',
          target: {
            environmentId: environment.id,
            environment: environmentRef(owner.name, environment.name),
            changed: description !== undefined ? ['description'] : [],
          },
          context,
          environmentId: environment.id,
        })
        return environmentView(
          { ...environment, description: description ?? environment.description, updatedAt: now },
          owner,
        )
      })
    },

    /** Deletes the environment and everything in it; linked global secrets stay. */
    async delete(
      actor: Actor,
      ownerName: string,
      name: string,
      context: RequestContext,
    ): Promise<void> {
      await store.transaction(async (tx) => {
        const { environment, owner } = await visible(actor, ownerName, name, 'env.write', tx)
        await tx.lockOwner(owner.id)
        await tx.deleteEnvironment(environment.id)
        await recordAudit(deps, tx, {
          owner,
          actor,
          action: 'env.delete',
          target: {
            environmentId: environment.id,
            environment: environmentRef(owner.name, environment.name),
          },
          context,
          environmentId: environment.id,
        })
      })
    },
  }
}

function isEnvironmentName(name: string): boolean {
  try {
    parseEnvironmentName(name)
    return true
  } catch {
    return false
  }
}

const encodeCursor = (name: string): string => Buffer.from(name, 'utf8').toString('base64url')

function decodeCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!isEnvironmentName(name)) {
    throw new CofferError('bad_request', 'The cursor is not one this server issued', {
      param: 'query.cursor',
    })
  }
  return name
}

export type EnvironmentService = ReturnType<typeof createEnvironmentService>
