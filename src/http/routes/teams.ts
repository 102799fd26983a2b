// Teams and members (SPEC.md §3.1).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { Services } from '../../services/index.js'
import type { AppEnv } from '../context.js'
import { body, errors, json, noContent } from '../openapi.js'
import { success } from '../respond.js'
import {
  AddMemberRequest,
  CreateTeamRequest,
  Member,
  Team,
  TeamWithRole,
  UpdateMemberRequest,
  envelope,
} from '../schemas.js'

const tags = ['Teams']
const Slug = z.object({ slug: z.string() })
const SlugAndUser = z.object({ slug: z.string(), username: z.string() })

const listTeams = createRoute({
  method: 'get',
  path: '/api/v1/teams',
  tags,
  summary: 'Your teams, with your role',
  responses: { 200: json(envelope(z.array(TeamWithRole))), ...errors(401) },
})
const createTeam = createRoute({
  method: 'post',
  path: '/api/v1/teams',
  tags,
  summary: 'Create a team; you become its first admin',
  request: body(CreateTeamRequest),
  responses: { 201: json(envelope(Team)), ...errors(400, 401, 409, 415, 422) },
})
const getTeam = createRoute({
  method: 'get',
  path: '/api/v1/teams/{slug}',
  tags,
  summary: 'A team you belong to',
  request: { params: Slug },
  responses: { 200: json(envelope(Team)), ...errors(401, 404) },
})
const listMembers = createRoute({
  method: 'get',
  path: '/api/v1/teams/{slug}/members',
  tags,
  summary: 'Members and roles',
  request: { params: Slug },
  responses: { 200: json(envelope(z.array(Member))), ...errors(401, 404) },
})
const addMember = createRoute({
  method: 'post',
  path: '/api/v1/teams/{slug}/members',
  tags,
  summary: 'Add a member (team admin)',
  request: { params: Slug, ...body(AddMemberRequest) },
  responses: { 201: json(envelope(Member)), ...errors(400, 401, 403, 404, 409, 415, 422) },
})
const updateMember = createRoute({
  method: 'patch',
  path: '/api/v1/teams/{slug}/members/{username}',
  tags,
  summary: 'Change a member’s role (team admin); the last admin stays',
  request: { params: SlugAndUser, ...body(UpdateMemberRequest) },
  responses: { 200: json(envelope(Member)), ...errors(400, 401, 403, 404, 409, 415, 422) },
})
const removeMember = createRoute({
  method: 'delete',
  path: '/api/v1/teams/{slug}/members/{username}',
  tags,
  summary: 'Remove a member (team admin, or yourself); the last admin stays',
  request: { params: SlugAndUser },
  responses: { ...noContent, ...errors(401, 403, 404, 409) },
})

export function registerTeamRoutes(app: OpenAPIHono<AppEnv>, { teams }: Services): void {
  app.openapi(listTeams, async (c) => c.json(success(await teams.listMine(c.get('actor'))), 200))
  app.openapi(createTeam, async (c) => {
    const team = await teams.create(c.get('actor'), c.req.valid('json'), c.get('requestContext'))
    return c.json(success(team), 201)
  })
  app.openapi(getTeam, async (c) =>
    c.json(success(await teams.get(c.get('actor'), c.req.valid('param').slug)), 200),
  )
  app.openapi(listMembers, async (c) =>
    c.json(success(await teams.listMembers(c.get('actor'), c.req.valid('param').slug)), 200),
  )
  app.openapi(addMember, async (c) => {
    const member = await teams.addMember(
      c.get('actor'),
      c.req.valid('param').slug,
      c.req.valid('json'),
      c.get('requestContext'),
    )
    return c.json(success(member), 201)
  })
  app.openapi(updateMember, async (c) => {
    const { slug, username } = c.req.valid('param')
    const member = await teams.updateMember(
      c.get('actor'),
      slug,
      username,
      c.req.valid('json').role,
      c.get('requestContext'),
    )
    return c.json(success(member), 200)
  })
  app.openapi(removeMember, async (c) => {
    const { slug, username } = c.req.valid('param')
    await teams.removeMember(c.get('actor'), slug, username, c.get('requestContext'))
    return c.body(null, 204)
  })
}
