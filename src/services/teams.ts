// Teams and their members. A team always keeps at least one admin (SPEC.md §1).
import { CofferError } from '../domain/errors.js'
import { parseOwnerName } from '../domain/names.js'
import { assertAllowed } from '../domain/scopes.js'
import type { Actor, OwnerRef, RequestContext, Role, Team } from '../domain/types.js'
import type { MemberRecord, Store } from '../store/store.js'
import { renameConflict } from './accounts.js'
import { recordAudit } from './audit.js'
import { isoNow, type ServiceDeps } from './deps.js'

const TEAM_DISPLAY_NAME_MAX = 100

export interface MemberView {
  readonly userId: string
  readonly username: string
  readonly role: Role
  readonly createdAt: string
}

const memberView = (m: MemberRecord): MemberView => ({
  userId: m.userId,
  username: m.username,
  role: m.role,
  createdAt: m.createdAt,
})
export const teamOwner = (team: Pick<Team, 'id' | 'slug'>): OwnerRef => ({
  kind: 'team',
  id: team.id,
  name: team.slug,
})

export function createTeamService(deps: ServiceDeps) {
  const { store } = deps

  /** The team, if the actor may do `action` on it; 404 for teams the actor cannot see. */
  async function visibleTeam(
    actor: Actor,
    slug: string,
    action: 'team.read' | 'team.manage',
    tx: Store = store,
  ): Promise<Team> {
    const team = await tx.findTeamBySlug(slug)
    const owner: OwnerRef = team ? teamOwner(team) : { kind: 'team', id: '', name: slug }
    assertAllowed(actor, action, { kind: 'owner', owner }, { what: `team ${slug}` })
    if (!team) throw new CofferError('not_found', `The team ${slug} was not found`)
    return team
  }

  async function guardLastAdmin(
    tx: Store,
    team: Team,
    member: MemberRecord,
    newRole: Role | null,
  ): Promise<void> {
    if (member.role !== 'admin' || newRole === 'admin') return
    if ((await tx.countTeamAdmins(team.id)) <= 1) {
      throw new CofferError(
        'last_admin',
        `${member.username} is the last admin of ${team.slug}; make another member admin first`,
      )
    }
  }

  return {
    visibleTeam,

    async create(
      actor: Actor,
      input: { slug: string; name?: string | undefined },
      context: RequestContext,
    ): Promise<Team> {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      if (actor.kind !== 'user') throw new CofferError('forbidden', 'Only users can create teams')
      const slug = parseOwnerName(input.slug, 'body.slug')
      const name = (input.name ?? slug).trim()
      if (name.length === 0 || name.length > TEAM_DISPLAY_NAME_MAX) {
        throw new CofferError(
          'invalid',
          `A team name needs 1 to ${TEAM_DISPLAY_NAME_MAX} characters`,
          { param: 'body.name' },
        )
      }
      const now = isoNow(deps)
      const team: Team = { id: deps.newId(), slug, name, createdAt: now }
      await store.transaction(async (tx) => {
        await tx
          .insertTeam(team)
          .catch(renameConflict(`The name ${slug} is already taken by a user or team`, 'body.slug'))
        await deps.dataKeys.create(tx, team.id, now)
        await tx.insertMembership({
          teamId: team.id,
          userId: actor.userId,
          role: 'admin',
          createdAt: now,
        })
        await recordAudit(deps, tx, {
          owner: teamOwner(team),
          actor,
          action: 'team.create',
          target: { teamId: team.id, slug },
          context,
        })
      })
      return team
    },

    async listMine(actor: Actor): Promise<(Team & { role: Role })[]> {
      assertAllowed(actor, 'account.use', { kind: 'account' })
      if (actor.kind !== 'user') return []
      return store.listTeamsOfUser(actor.userId)
    },

    async get(actor: Actor, slug: string): Promise<Team> {
      return visibleTeam(actor, slug, 'team.read')
    },

    async listMembers(actor: Actor, slug: string): Promise<MemberView[]> {
      const team = await visibleTeam(actor, slug, 'team.read')
      return (await store.listMembers(team.id)).map(memberView)
    },

    async addMember(
      actor: Actor,
      slug: string,
      input: { username: string; role: Role },
      context: RequestContext,
    ): Promise<MemberView> {
      return store.transaction(async (tx) => {
        const team = await visibleTeam(actor, slug, 'team.manage', tx)
        await tx.lockOwner(team.id)
        const user = await tx.findUserByName(input.username)
        if (!user)
          throw new CofferError('not_found', `No user named ${input.username}`, {
            param: 'body.username',
          })
        const createdAt = isoNow(deps)
        await tx
          .insertMembership({ teamId: team.id, userId: user.id, role: input.role, createdAt })
          .catch(
            renameConflict(
              `${user.username} is already a member of ${team.slug}; change the role with PATCH instead`,
              'body.username',
            ),
          )
        await recordAudit(deps, tx, {
          owner: teamOwner(team),
          actor,
          action: 'team.member.add',
          target: { teamId: team.id, username: user.username, role: input.role },
          context,
        })
        return { userId: user.id, username: user.username, role: input.role, createdAt }
      })
    },

    async updateMember(
      actor: Actor,
      slug: string,
      username: string,
      role: Role,
      context: RequestContext,
    ): Promise<MemberView> {
      return store.transaction(async (tx) => {
        const team = await visibleTeam(actor, slug, 'team.manage', tx)
        // Security: serializes admin changes so two admins cannot demote each other at once.
        await tx.lockOwner(team.id)
        const member = await requireMember(tx, team, username)
        await guardLastAdmin(tx, team, member, role)
        await tx.updateMembershipRole(team.id, member.userId, role)
        await recordAudit(deps, tx, {
          owner: teamOwner(team),
          actor,
          action: 'team.member.update',
          target: { teamId: team.id, username, role, previousRole: member.role },
          context,
        })
        return memberView({ ...member, role })
      })
    },

    async removeMember(
      actor: Actor,
      slug: string,
      username: string,
      context: RequestContext,
    ): Promise<void> {
      await store.transaction(async (tx) => {
        // Leaving a team yourself needs no admin role.
        const self = actor.kind === 'user' && actor.username === username
        const checked = await visibleTeam(actor, slug, self ? 'team.read' : 'team.manage', tx)
        await tx.lockOwner(checked.id)
        const member = await requireMember(tx, checked, username)
        await guardLastAdmin(tx, checked, member, null)
        await tx.deleteMembership(checked.id, member.userId)
        await recordAudit(deps, tx, {
          owner: teamOwner(checked),
          actor,
          action: 'team.member.remove',
          target: { teamId: checked.id, username },
          context,
        })
      })
    },
  }
}

async function requireMember(tx: Store, team: Team, username: string): Promise<MemberRecord> {
  const user = await tx.findUserByName(username)
  const member = user ? await tx.findMembership(team.id, user.id) : undefined
  if (!member)
    throw new CofferError('not_found', `${username} is not a member of ${team.slug}`, {
      param: 'path.username',
    })
  return member
}

export type TeamService = ReturnType<typeof createTeamService>
