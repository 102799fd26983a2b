// `coffer team …`: teams and their members (SPEC.md §3.1). Roles are decided by the server;
// this module only asks and reports.
import { apiPath } from '../api-client.js'
import type { CliDeps } from '../deps.js'
import { formatTable, formatTime } from '../output.js'

export interface Team {
  readonly id: string
  readonly slug: string
  readonly name: string
  readonly createdAt: string
  /** The caller's role, in listings of their own teams. */
  readonly role?: string
}

export interface Member {
  readonly userId: string
  readonly username: string
  readonly role: string
  readonly createdAt: string
}

export async function createTeam(
  args: { slug: string; name: string | undefined },
  deps: CliDeps,
): Promise<void> {
  const api = await deps.api()
  const team = await api.post<Team>('/teams', { slug: args.slug, name: args.name ?? args.slug })
  deps.output.result(team, () => `Created team ${team.slug} (${team.name}); you are its admin`)
}

export async function listTeams(_args: object, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const teams = await api.list<Team>('/teams')
  if (teams.length === 0 && !deps.output.json) {
    deps.output.notice('You are in no team yet. Create one with `coffer team create SLUG`.')
    return
  }
  deps.output.result(teams, () =>
    formatTable(teams, [
      { header: 'SLUG', cell: (team) => team.slug },
      { header: 'NAME', cell: (team) => team.name },
      { header: 'ROLE', cell: (team) => team.role },
      { header: 'ID', cell: (team) => team.id },
      { header: 'CREATED', cell: (team) => formatTime(team.createdAt) },
    ]),
  )
}

export async function listMembers(args: { slug: string }, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const members = await api.list<Member>(apiPath`/teams/${args.slug}/members`)
  deps.output.result(members, () =>
    formatTable(members, [
      { header: 'USERNAME', cell: (member) => member.username },
      { header: 'ROLE', cell: (member) => member.role },
      { header: 'ADDED', cell: (member) => formatTime(member.createdAt) },
    ]),
  )
}

export async function addMember(
  args: { slug: string; username: string; role: string },
  deps: CliDeps,
): Promise<void> {
  const api = await deps.api()
  const member = await api.post<Member>(apiPath`/teams/${args.slug}/members`, {
    username: args.username,
    role: args.role,
  })
  deps.output.result(member, () => `Added ${args.username} to ${args.slug} as ${args.role}`)
}

export async function removeMember(
  args: { slug: string; username: string },
  deps: CliDeps,
): Promise<void> {
  const api = await deps.api()
  await api.delete(apiPath`/teams/${args.slug}/members/${args.username}`)
  deps.output.done(`Removed ${args.username} from ${args.slug}`)
}
