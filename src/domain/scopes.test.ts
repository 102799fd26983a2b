import { describe, expect, it } from 'vitest'
import { assertAllowed, authorize, type Action, type Resource } from './scopes.js'
import type { Actor, OwnerRef, Role } from './types.js'

const team: OwnerRef = { kind: 'team', id: 'team1', name: 'acme' }
const alice: OwnerRef = { kind: 'user', id: 'alice', name: 'alice' }
const user = (id: string, roles: [string, Role][] = [], isInstanceAdmin = false): Actor => ({
  kind: 'user',
  userId: id,
  username: id,
  isInstanceAdmin,
  roles: new Map(roles),
  tokenId: 't',
})
const actors: Record<string, Actor> = {
  owner: user('alice'),
  teamAdmin: user('bob', [['team1', 'admin']]),
  member: user('carol', [['team1', 'member']]),
  viewer: user('dave', [['team1', 'viewer']]),
  outsider: user('eve', [['team2', 'admin']]),
  instanceAdmin: user('root', [], true),
  runtime: { kind: 'runtime', tokenId: 'rt', name: 'ci', environmentId: 'env1', ownerId: 'team1' },
  anonymous: { kind: 'anonymous' },
}
const onTeam: Resource = { kind: 'owner', owner: team }
const ownEnv: Resource = { kind: 'environment', owner: team, environmentId: 'env1' }
const otherEnv: Resource = { kind: 'environment', owner: team, environmentId: 'env2' }

type Expected = 'allow' | 'unauthenticated' | 'invisible' | 'insufficient'
const table: [string, Action, Resource, Expected][] = [
  ['owner', 'secret.write', { kind: 'owner', owner: alice }, 'allow'],
  ['owner', 'audit.read', { kind: 'owner', owner: alice }, 'allow'],
  ['teamAdmin', 'secret.read', { kind: 'owner', owner: alice }, 'invisible'],
  ['teamAdmin', 'team.manage', onTeam, 'allow'],
  ['teamAdmin', 'audit.read', onTeam, 'allow'],
  ['member', 'secret.write', onTeam, 'allow'],
  ['member', 'env.resolve', ownEnv, 'allow'],
  ['member', 'team.manage', onTeam, 'insufficient'],
  ['member', 'audit.read', onTeam, 'insufficient'],
  ['viewer', 'secret.read', onTeam, 'allow'],
  ['viewer', 'env.read', ownEnv, 'allow'],
  ['viewer', 'secret.write', onTeam, 'insufficient'],
  ['viewer', 'env.resolve', ownEnv, 'insufficient'],
  ['outsider', 'secret.read', onTeam, 'invisible'],
  ['outsider', 'env.read', ownEnv, 'invisible'],
  ['instanceAdmin', 'user.manage', { kind: 'instance' }, 'allow'],
  ['instanceAdmin', 'secret.read', onTeam, 'invisible'], // instance admin sees no secrets
  ['owner', 'user.manage', { kind: 'instance' }, 'insufficient'],
  ['runtime', 'env.resolve', ownEnv, 'allow'],
  ['runtime', 'env.watch', ownEnv, 'allow'],
  ['runtime', 'env.read', ownEnv, 'insufficient'],
  ['runtime', 'env.resolve', otherEnv, 'invisible'],
  ['runtime', 'secret.read', onTeam, 'insufficient'],
  ['runtime', 'secret.read', { kind: 'owner', owner: alice }, 'invisible'],
  ['runtime', 'account.use', { kind: 'account' }, 'invisible'],
  ['anonymous', 'secret.read', onTeam, 'unauthenticated'],
  ['anonymous', 'account.use', { kind: 'account' }, 'unauthenticated'],
  ['member', 'account.use', { kind: 'account' }, 'allow'],
]

describe('authorize', () => {
  it.each(table)('%s: %s on %j → %s', (who, action, resource, expected) => {
    const decision = authorize(actors[who]!, action, resource)
    expect(decision.allowed ? 'allow' : decision.reason).toBe(expected)
  })
})

describe('assertAllowed', () => {
  it.each([
    ['anonymous', 'unauthenticated'],
    ['outsider', 'not_found'],
    ['viewer', 'forbidden'],
  ])('turns a denial of %s into %s', (who, code) => {
    expect(() => assertAllowed(actors[who]!, 'secret.write', onTeam)).toThrow(
      expect.objectContaining({ code }),
    )
  })

  it('uses the caller’s not-found code for invisible resources', () => {
    expect(() =>
      assertAllowed(actors.outsider!, 'secret.read', onTeam, { notFound: 'secret_not_found' }),
    ).toThrow(expect.objectContaining({ code: 'secret_not_found' }))
  })
})
