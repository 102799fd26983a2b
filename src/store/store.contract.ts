// What every Store must do. Not a *.test.ts file, so it runs only through sqlite.test.ts and
// postgres.test.ts, once per engine, each test on a fresh empty database.
import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Team } from '../domain/types.js'
import type {
  AuditRecord,
  PersonalTokenRecord,
  SecretRecord,
  SecretVersionRecord,
  Store,
  UserRecord,
} from './store.js'

const newId = (): string => `c${randomBytes(12).toString('hex')}`

/** A timestamp `seconds` after a fixed origin: ISO strings sort like the times they name. */
const at = (seconds: number): string =>
  new Date(Date.UTC(2025, 0, 1) + seconds * 1000).toISOString()

const aUser = (overrides: Partial<UserRecord> = {}): UserRecord => ({
  id: newId(),
  username: `user-${randomBytes(4).toString('hex')}`,
  passwordHash: 'scrypt$hash',
  isAdmin: false,
  disabled: false,
  createdAt: at(0),
  updatedAt: at(0),
  ...overrides,
})

const aTeam = (overrides: Partial<Team> = {}): Team => ({
  id: newId(),
  slug: `team-${randomBytes(4).toString('hex')}`,
  name: 'A team',
  createdAt: at(0),
  ...overrides,
})

const aSecret = (ownerId: string, overrides: Partial<SecretRecord> = {}): SecretRecord => ({
  id: newId(),
  ownerId,
  name: 'API_KEY',
  description: '',
  isFile: false,
  version: 1,
  hint: null,
  createdAt: at(0),
  updatedAt: at(0),
  ...overrides,
})

const aVersion = (
  secretId: string,
  version: number,
  overrides: Partial<SecretVersionRecord> = {},
): SecretVersionRecord => ({
  secretId,
  version,
  name: 'API_KEY',
  ciphertext: randomBytes(44),
  hint: null,
  createdAt: at(version),
  createdBy: null,
  createdByName: null,
  ...overrides,
})

const aToken = (userId: string, overrides: Partial<PersonalTokenRecord> = {}) =>
  ({
    id: newId(),
    userId,
    name: 'laptop',
    kind: 'token',
    tokenHash: randomBytes(32).toString('hex'),
    createdAt: at(0),
    expiresAt: null,
    lastUsedAt: null,
    ...overrides,
  }) satisfies PersonalTokenRecord

const anEvent = (ownerId: string, seq: number, overrides: Partial<AuditRecord> = {}) =>
  ({
    id: newId(),
    ownerId,
    seq,
    at: at(seq),
    body: `{"seq":${seq}}`,
    action: 'secret.create',
    environmentId: null,
    hash: randomBytes(32).toString('hex'),
    ...overrides,
  }) satisfies AuditRecord

/** Every byte value, then random ones: what a ciphertext or wrapped key may contain. */
const allBytes = (): Buffer =>
  Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1024)])

export function describeStoreContract(name: string, openStore: () => Promise<Store>): void {
  // eslint-disable-next-line vitest/valid-title -- each engine's test file names its own suite
  describe(name, () => {
    let store: Store

    beforeEach(async () => {
      store = await openStore()
    })

    afterEach(async () => {
      await store.close()
    })

    /** A user owner to hang secrets, tokens and events on. */
    async function aSavedUser(overrides: Partial<UserRecord> = {}): Promise<UserRecord> {
      const user = aUser(overrides)
      await store.insertUser(user)
      return user
    }

    describe('readiness', () => {
      it('reports ready once migrated', async () => {
        await expect(store.checkReady()).resolves.toBeUndefined()
      })

      it('names its engine', () => {
        expect(['sqlite', 'postgres']).toContain(store.engine)
      })
    })

    describe('owners', () => {
      it('finds a user and a team as owners by name and by id', async () => {
        const user = await aSavedUser({ username: 'alice' })
        const team = aTeam({ slug: 'acme' })
        await store.insertTeam(team)

        expect(await store.findOwnerByName('alice')).toStrictEqual({
          kind: 'user',
          id: user.id,
          name: 'alice',
        })
        expect(await store.findOwnerById(team.id)).toStrictEqual({
          kind: 'team',
          id: team.id,
          name: 'acme',
        })
        expect(await store.findOwnerByName('nobody')).toBeUndefined()
        expect(await store.findOwnerById(newId())).toBeUndefined()
      })

      it('refuses a team whose slug a user already holds, and leaves no team behind', async () => {
        await aSavedUser({ username: 'acme' })
        const team = aTeam({ slug: 'acme' })

        await expect(store.insertTeam(team)).rejects.toMatchObject({ code: 'name_conflict' })
        expect(await store.findTeamById(team.id)).toBeUndefined()
        expect(await store.findOwnerById(team.id)).toBeUndefined()
      })

      it('refuses a user whose name a team already holds', async () => {
        await store.insertTeam(aTeam({ slug: 'acme' }))
        const user = aUser({ username: 'acme' })

        await expect(store.insertUser(user)).rejects.toMatchObject({ code: 'name_conflict' })
        expect(await store.findUserById(user.id)).toBeUndefined()
        expect(await store.countUsers()).toBe(0)
      })

      it('refuses a second user with the same name, without echoing it', async () => {
        await aSavedUser({ username: 'alice' })
        const again = store.insertUser(aUser({ username: 'alice' }))

        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
        await expect(again).rejects.not.toThrow(/alice/)
      })

      it('locks an owner inside a transaction', async () => {
        const user = await aSavedUser()
        await expect(store.transaction((tx) => tx.lockOwner(user.id))).resolves.toBeUndefined()
      })
    })

    describe('users', () => {
      it('round-trips a user, booleans as booleans', async () => {
        const user = await aSavedUser({ isAdmin: true, disabled: false })

        expect(await store.findUserById(user.id)).toStrictEqual(user)
        expect(await store.findUserByName(user.username)).toStrictEqual(user)
        expect(await store.findUserByName('nobody')).toBeUndefined()
      })

      it('counts users and active instance admins', async () => {
        expect(await store.countUsers()).toBe(0)
        expect(await store.countActiveInstanceAdmins()).toBe(0)
        await aSavedUser({ isAdmin: true })
        await aSavedUser({ isAdmin: true, disabled: true })
        await aSavedUser()

        expect(await store.countUsers()).toBe(3)
        expect(await store.countActiveInstanceAdmins()).toBe(1)
      })

      it('updates only the fields given', async () => {
        const user = await aSavedUser({ isAdmin: true })

        await store.updateUser(user.id, { disabled: true, updatedAt: at(5) })
        expect(await store.findUserById(user.id)).toStrictEqual({
          ...user,
          disabled: true,
          updatedAt: at(5),
        })

        await store.updateUser(user.id, { isAdmin: false, disabled: false, updatedAt: at(6) })
        expect(await store.findUserById(user.id)).toMatchObject({
          isAdmin: false,
          disabled: false,
          updatedAt: at(6),
        })
      })
    })

    describe('teams and memberships', () => {
      it('finds a team by slug and by id', async () => {
        const team = aTeam({ slug: 'acme', name: 'Acme Inc.' })
        await store.insertTeam(team)

        expect(await store.findTeamBySlug('acme')).toStrictEqual(team)
        expect(await store.findTeamById(team.id)).toStrictEqual(team)
        expect(await store.findTeamBySlug('other')).toBeUndefined()
      })

      it('adds, finds, lists, re-roles and removes members', async () => {
        const team = aTeam()
        await store.insertTeam(team)
        const bob = await aSavedUser({ username: 'bob' })
        const alice = await aSavedUser({ username: 'alice' })
        await store.insertMembership({
          teamId: team.id,
          userId: bob.id,
          role: 'admin',
          createdAt: at(1),
        })
        await store.insertMembership({
          teamId: team.id,
          userId: alice.id,
          role: 'viewer',
          createdAt: at(2),
        })

        expect(await store.findMembership(team.id, alice.id)).toStrictEqual({
          teamId: team.id,
          userId: alice.id,
          username: 'alice',
          role: 'viewer',
          createdAt: at(2),
        })
        expect((await store.listMembers(team.id)).map((m) => m.username)).toEqual(['alice', 'bob'])

        await store.updateMembershipRole(team.id, alice.id, 'member')
        expect(await store.findMembership(team.id, alice.id)).toMatchObject({ role: 'member' })

        await store.deleteMembership(team.id, alice.id)
        expect(await store.findMembership(team.id, alice.id)).toBeUndefined()
        expect((await store.listMembers(team.id)).map((m) => m.userId)).toEqual([bob.id])
      })

      it('refuses a second membership of the same user in a team', async () => {
        const team = aTeam()
        await store.insertTeam(team)
        const user = await aSavedUser()
        const member = {
          teamId: team.id,
          userId: user.id,
          role: 'member',
          createdAt: at(0),
        } as const
        await store.insertMembership(member)

        const again = store.insertMembership({ ...member, role: 'admin' })
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
        expect(await store.findMembership(team.id, user.id)).toMatchObject({ role: 'member' })
      })

      it('counts the admins of one team only', async () => {
        const team = aTeam()
        const other = aTeam()
        await store.insertTeam(team)
        await store.insertTeam(other)
        const [a, b, c] = [await aSavedUser(), await aSavedUser(), await aSavedUser()]
        await store.insertMembership({
          teamId: team.id,
          userId: a.id,
          role: 'admin',
          createdAt: at(0),
        })
        await store.insertMembership({
          teamId: team.id,
          userId: b.id,
          role: 'admin',
          createdAt: at(0),
        })
        await store.insertMembership({
          teamId: team.id,
          userId: c.id,
          role: 'member',
          createdAt: at(0),
        })
        await store.insertMembership({
          teamId: other.id,
          userId: c.id,
          role: 'admin',
          createdAt: at(0),
        })

        expect(await store.countTeamAdmins(team.id)).toBe(2)
        expect(await store.countTeamAdmins(other.id)).toBe(1)
        expect(await store.countTeamAdmins(newId())).toBe(0)
      })

      it("lists a user's teams ordered by slug, with the user's role", async () => {
        const user = await aSavedUser()
        const zeta = aTeam({ slug: 'zeta' })
        const alpha = aTeam({ slug: 'alpha' })
        const mid = aTeam({ slug: 'mid' })
        for (const team of [zeta, alpha, mid]) await store.insertTeam(team)
        await store.insertMembership({
          teamId: zeta.id,
          userId: user.id,
          role: 'viewer',
          createdAt: at(0),
        })
        await store.insertMembership({
          teamId: alpha.id,
          userId: user.id,
          role: 'admin',
          createdAt: at(0),
        })

        expect(await store.listTeamsOfUser(user.id)).toStrictEqual([
          { ...alpha, role: 'admin' },
          { ...zeta, role: 'viewer' },
        ])
        expect(await store.listTeamsOfUser(newId())).toEqual([])
      })
    })

    describe('owner keys', () => {
      it('keeps wrapped keys byte-exact and rewraps them', async () => {
        const user = await aSavedUser()
        const team = aTeam()
        await store.insertTeam(team)
        const wrappedKey = allBytes()
        const key = {
          ownerId: user.id,
          masterKeyId: 'k1',
          wrappedKey,
          createdAt: at(1),
          updatedAt: at(1),
        }
        await store.insertOwnerKey(key)
        await store.insertOwnerKey({ ...key, ownerId: team.id })

        const found = await store.findOwnerKey(user.id)
        expect(Buffer.isBuffer(found?.wrappedKey)).toBe(true)
        expect(found?.wrappedKey.equals(wrappedKey)).toBe(true)
        expect(found).toMatchObject({ ownerId: user.id, masterKeyId: 'k1', createdAt: at(1) })
        expect((await store.listOwnerKeys()).map((k) => k.ownerId).sort()).toEqual(
          [user.id, team.id].sort(),
        )

        const rewrapped = randomBytes(60)
        await store.updateOwnerKey(user.id, {
          masterKeyId: 'k2',
          wrappedKey: rewrapped,
          updatedAt: at(2),
        })
        const after = await store.findOwnerKey(user.id)
        expect(after).toMatchObject({ masterKeyId: 'k2', createdAt: at(1), updatedAt: at(2) })
        expect(after?.wrappedKey.equals(rewrapped)).toBe(true)
        expect((await store.findOwnerKey(team.id))?.masterKeyId).toBe('k1')
        expect(await store.findOwnerKey(newId())).toBeUndefined()
      })
    })

    describe('personal tokens', () => {
      it('finds a token by its hash and records its last use', async () => {
        const user = await aSavedUser()
        const token = aToken(user.id, { expiresAt: at(100) })
        await store.insertPersonalToken(token)

        expect(await store.findPersonalTokenByHash(token.tokenHash)).toStrictEqual(token)
        expect(await store.findPersonalTokenByHash('0'.repeat(64))).toBeUndefined()

        await store.touchPersonalToken(token.id, at(7))
        expect(await store.findPersonalTokenByHash(token.tokenHash)).toStrictEqual({
          ...token,
          lastUsedAt: at(7),
        })
      })

      it('lists tokens, not sessions, newest first', async () => {
        const user = await aSavedUser()
        const other = await aSavedUser()
        const old = aToken(user.id, { createdAt: at(1) })
        const recent = aToken(user.id, { createdAt: at(3) })
        await store.insertPersonalToken(old)
        await store.insertPersonalToken(recent)
        await store.insertPersonalToken(aToken(user.id, { kind: 'session', createdAt: at(2) }))
        await store.insertPersonalToken(aToken(other.id))

        expect(await store.listPersonalTokens(user.id)).toStrictEqual([recent, old])
      })

      it("deletes only the user's own token", async () => {
        const owner = await aSavedUser()
        const intruder = await aSavedUser()
        const token = aToken(owner.id)
        await store.insertPersonalToken(token)

        expect(await store.deletePersonalToken(intruder.id, token.id)).toBe(false)
        expect(await store.findPersonalTokenByHash(token.tokenHash)).toBeDefined()
        expect(await store.deletePersonalToken(owner.id, token.id)).toBe(true)
        expect(await store.findPersonalTokenByHash(token.tokenHash)).toBeUndefined()
        expect(await store.deletePersonalToken(owner.id, token.id)).toBe(false)
      })

      it('refuses a second token with the same hash', async () => {
        const user = await aSavedUser()
        const token = aToken(user.id)
        await store.insertPersonalToken(token)

        const again = store.insertPersonalToken(aToken(user.id, { tokenHash: token.tokenHash }))
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
      })
    })

    describe('login throttle', () => {
      it('saves, replaces and deletes a throttle record', async () => {
        const key = 'alice|127.0.0.1'
        expect(await store.findLoginThrottle(key)).toBeUndefined()

        await store.saveLoginThrottle({ key, windowStart: at(0), failures: 1 })
        expect(await store.findLoginThrottle(key)).toStrictEqual({
          key,
          windowStart: at(0),
          failures: 1,
        })

        await store.saveLoginThrottle({ key, windowStart: at(900), failures: 7 })
        expect(await store.findLoginThrottle(key)).toStrictEqual({
          key,
          windowStart: at(900),
          failures: 7,
        })

        await store.deleteLoginThrottle(key)
        expect(await store.findLoginThrottle(key)).toBeUndefined()
      })
    })

    describe('secrets', () => {
      it('round-trips a secret, booleans as booleans', async () => {
        const user = await aSavedUser()
        const file = aSecret(user.id, {
          name: 'TLS_CERT',
          description: 'PEM, base64',
          isFile: true,
          hint: '…ab12',
        })
        const plain = aSecret(user.id, { name: 'API_KEY' })
        await store.insertSecret(file)
        await store.insertSecret(plain)

        expect(await store.findSecretById(file.id)).toStrictEqual(file)
        expect(await store.findSecretByName(user.id, 'API_KEY')).toStrictEqual(plain)
        expect(await store.findSecretByName(user.id, 'OTHER')).toBeUndefined()
        expect(await store.findSecretById(newId())).toBeUndefined()
      })

      it('refuses a second secret with the same name for one owner only', async () => {
        const alice = await aSavedUser()
        const bob = await aSavedUser()
        await store.insertSecret(aSecret(alice.id, { name: 'API_KEY' }))

        const again = store.insertSecret(aSecret(alice.id, { name: 'API_KEY' }))
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
        await expect(again).rejects.not.toThrow(/API_KEY/)
        await expect(
          store.insertSecret(aSecret(bob.id, { name: 'API_KEY' })),
        ).resolves.toBeUndefined()
      })

      it('updates only the fields given, and renames', async () => {
        const user = await aSavedUser()
        const secret = aSecret(user.id, { description: 'old', hint: '…1234' })
        await store.insertSecret(secret)

        await store.updateSecret(secret.id, { version: 2, hint: null, updatedAt: at(5) })
        expect(await store.findSecretById(secret.id)).toStrictEqual({
          ...secret,
          version: 2,
          hint: null,
          updatedAt: at(5),
        })

        await store.updateSecret(secret.id, {
          name: 'RENAMED',
          description: 'new',
          updatedAt: at(6),
        })
        expect(await store.findSecretByName(user.id, 'RENAMED')).toMatchObject({
          id: secret.id,
          description: 'new',
          version: 2,
        })
        expect(await store.findSecretByName(user.id, secret.name)).toBeUndefined()
      })

      it('refuses a rename onto a name the owner already uses', async () => {
        const user = await aSavedUser()
        const first = aSecret(user.id, { name: 'FIRST' })
        await store.insertSecret(first)
        await store.insertSecret(aSecret(user.id, { name: 'SECOND' }))

        const rename = store.updateSecret(first.id, { name: 'SECOND', updatedAt: at(1) })
        await expect(rename).rejects.toMatchObject({ code: 'name_conflict' })
        expect(await store.findSecretById(first.id)).toMatchObject({ name: 'FIRST' })
      })

      it('pages secrets by name, one owner at a time', async () => {
        const user = await aSavedUser()
        const other = await aSavedUser()
        for (const name of ['E', 'B', 'D', 'A', 'C']) {
          await store.insertSecret(aSecret(user.id, { name }))
        }
        await store.insertSecret(aSecret(other.id, { name: 'BB' }))

        const names = async (after?: string) =>
          (await store.listSecrets(user.id, { limit: 2, ...(after ? { after } : {}) })).map(
            (secret) => secret.name,
          )
        expect(await names()).toEqual(['A', 'B'])
        expect(await names('B')).toEqual(['C', 'D'])
        expect(await names('D')).toEqual(['E'])
        expect(await names('E')).toEqual([])
        expect(await store.listSecrets(newId(), { limit: 10 })).toEqual([])
      })

      it('deletes a secret with all its versions', async () => {
        const user = await aSavedUser()
        const secret = aSecret(user.id)
        const kept = aSecret(user.id, { name: 'KEPT' })
        await store.insertSecret(secret)
        await store.insertSecret(kept)
        await store.insertSecretVersion(aVersion(secret.id, 1))
        await store.insertSecretVersion(aVersion(secret.id, 2))
        await store.insertSecretVersion(aVersion(kept.id, 1))

        await store.deleteSecret(secret.id)
        expect(await store.findSecretById(secret.id)).toBeUndefined()
        expect(await store.listSecretVersions(secret.id)).toEqual([])
        expect(await store.listSecretVersions(kept.id)).toHaveLength(1)
      })
    })

    describe('secret versions', () => {
      it('keeps ciphertexts byte-exact and lists versions newest first', async () => {
        const user = await aSavedUser()
        const secret = aSecret(user.id)
        await store.insertSecret(secret)
        const first = aVersion(secret.id, 1, { ciphertext: allBytes() })
        const second = aVersion(secret.id, 2, {
          hint: '…wxyz',
          createdBy: user.id,
          createdByName: user.username,
        })
        await store.insertSecretVersion(first)
        await store.insertSecretVersion(second)

        const listed = await store.listSecretVersions(secret.id)
        expect(listed.map((v) => v.version)).toEqual([2, 1])
        expect(listed).toStrictEqual([second, first])
        expect(Buffer.isBuffer(listed[1]?.ciphertext)).toBe(true)
        expect(listed[1]?.ciphertext.equals(first.ciphertext)).toBe(true)
        expect(await store.findSecretVersion(secret.id, 2)).toStrictEqual(second)
        expect(await store.findSecretVersion(secret.id, 3)).toBeUndefined()
      })

      it('refuses a second row for the same version', async () => {
        const user = await aSavedUser()
        const secret = aSecret(user.id)
        await store.insertSecret(secret)
        await store.insertSecretVersion(aVersion(secret.id, 1))

        const again = store.insertSecretVersion(aVersion(secret.id, 1))
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
      })

      it('prunes all but the newest versions of one secret', async () => {
        const user = await aSavedUser()
        const secret = aSecret(user.id)
        const other = aSecret(user.id, { name: 'OTHER' })
        await store.insertSecret(secret)
        await store.insertSecret(other)
        for (let version = 1; version <= 25; version++) {
          await store.insertSecretVersion(aVersion(secret.id, version))
        }
        for (let version = 1; version <= 3; version++) {
          await store.insertSecretVersion(aVersion(other.id, version))
        }

        await store.pruneSecretVersions(secret.id, 20)
        const kept = (await store.listSecretVersions(secret.id)).map((v) => v.version)
        expect(kept).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i))

        await store.pruneSecretVersions(secret.id, 30)
        expect(await store.listSecretVersions(secret.id)).toHaveLength(20)

        await store.pruneSecretVersions(secret.id, 1)
        expect((await store.listSecretVersions(secret.id)).map((v) => v.version)).toEqual([25])
        expect(await store.listSecretVersions(other.id)).toHaveLength(3)
      })
    })

    describe('audit events', () => {
      it('returns the head of each chain', async () => {
        const owner = newId()
        const other = newId()
        expect(await store.findAuditHead(owner)).toBeUndefined()
        const first = anEvent(owner, 1)
        const second = anEvent(owner, 2)
        await store.insertAuditEvent(second)
        await store.insertAuditEvent(first)
        await store.insertAuditEvent(anEvent(other, 1))

        expect(await store.findAuditHead(owner)).toStrictEqual({ seq: 2, hash: second.hash })
      })

      it('refuses a second event at the same position of a chain', async () => {
        const owner = newId()
        await store.insertAuditEvent(anEvent(owner, 1))

        const fork = store.insertAuditEvent(anEvent(owner, 1))
        await expect(fork).rejects.toMatchObject({ code: 'name_conflict' })
        await expect(store.insertAuditEvent(anEvent(newId(), 1))).resolves.toBeUndefined()
      })

      it('round-trips an event', async () => {
        const event = anEvent(newId(), 1, { environmentId: newId(), body: '{"a":"ü\\n"}' })
        await store.insertAuditEvent(event)

        expect(await store.listAuditEvents({ ownerIds: [event.ownerId], limit: 10 })).toStrictEqual(
          [event],
        )
      })

      it('filters by owners, action, environment and time', async () => {
        const alice = newId()
        const team = newId()
        const stranger = newId()
        const env = newId()
        const events = [
          anEvent(alice, 1, { action: 'secret.create', at: at(10) }),
          anEvent(alice, 2, { action: 'env.resolve', environmentId: env, at: at(20) }),
          anEvent(team, 1, { action: 'env.resolve', environmentId: env, at: at(30) }),
          anEvent(team, 2, { action: 'env.link', environmentId: newId(), at: at(40) }),
          anEvent(stranger, 1, { action: 'env.resolve', at: at(50) }),
        ]
        for (const event of events) await store.insertAuditEvent(event)
        const ids = async (filter: Omit<Parameters<Store['listAuditEvents']>[0], 'limit'>) =>
          (await store.listAuditEvents({ limit: 100, ...filter })).map((e) => e.id)
        const [e0, e1, e2, e3] = events.map((e) => e.id)

        expect(await ids({ ownerIds: [alice, team] })).toEqual([e3, e2, e1, e0])
        expect(await ids({ ownerIds: [] })).toEqual([])
        expect(await ids({ ownerIds: [alice, team], action: 'env.resolve' })).toEqual([e2, e1])
        expect(await ids({ ownerIds: [alice, team], environmentId: env })).toEqual([e2, e1])
        expect(await ids({ ownerIds: [alice, team], since: at(20) })).toEqual([e3, e2, e1])
        expect(await ids({ ownerIds: [team], since: at(31), action: 'env.link' })).toEqual([e3])
      })

      it('pages newest first by (at, id), ties included', async () => {
        const owner = newId()
        // Five events in the same millisecond and two later: ids break the tie.
        const events = Array.from({ length: 7 }, (_, i) =>
          anEvent(owner, i + 1, { at: at(i < 5 ? 1 : i) }),
        )
        for (const event of events) await store.insertAuditEvent(event)
        const expected = [...events]
          .sort((a, b) => (a.at === b.at ? a.id.localeCompare(b.id) : a.at.localeCompare(b.at)))
          .reverse()
          .map((e) => e.id)

        const seen: string[] = []
        let before: { at: string; id: string } | undefined
        for (;;) {
          const page = await store.listAuditEvents({
            ownerIds: [owner],
            limit: 3,
            ...(before ? { before } : {}),
          })
          seen.push(...page.map((e) => e.id))
          const last = page.at(-1)
          if (page.length < 3 || !last) break
          before = { at: last.at, id: last.id }
        }
        expect(seen).toEqual(expected)
      })
    })

    describe('transactions', () => {
      it('returns what the work returns', async () => {
        await expect(store.transaction(() => Promise.resolve(42))).resolves.toBe(42)
      })

      it('rolls everything back when the work throws', async () => {
        const user = aUser()
        const failure = new Error('boom')
        const work = store.transaction(async (tx) => {
          await tx.insertUser(user)
          await tx.insertSecret(aSecret(user.id))
          expect(await tx.findUserById(user.id)).toBeDefined()
          throw failure
        })

        await expect(work).rejects.toBe(failure)
        expect(await store.findUserById(user.id)).toBeUndefined()
        expect(await store.findOwnerByName(user.username)).toBeUndefined()
        expect(await store.findSecretByName(user.id, 'API_KEY')).toBeUndefined()
      })

      it('joins nested transactions to the outer one', async () => {
        const user = aUser()
        const secret = aSecret(user.id)
        const work = store.transaction(async (tx) => {
          await tx.insertUser(user)
          const inner = await tx.transaction(async (nested) => {
            await nested.insertSecret(secret)
            return 'inner'
          })
          expect(inner).toBe('inner')
          expect(await tx.findSecretById(secret.id)).toBeDefined()
          throw new Error('outer fails after the nested work finished')
        })

        await expect(work).rejects.toThrow('outer fails')
        expect(await store.findSecretById(secret.id)).toBeUndefined()
        expect(await store.findUserById(user.id)).toBeUndefined()
      })

      it('commits the work of a transaction', async () => {
        const user = aUser()
        await store.transaction(async (tx) => {
          await tx.insertUser(user)
          await tx.insertSecret(aSecret(user.id))
        })

        expect(await store.findSecretByName(user.id, 'API_KEY')).toBeDefined()
      })

      it('lets exactly one of 20 concurrent transactions claim a name', async () => {
        const user = await aSavedUser()
        const attempts = Array.from({ length: 20 }, () =>
          store.transaction(async (tx) => {
            const secret = aSecret(user.id, { name: 'RACE' })
            await tx.insertSecret(secret)
            await tx.insertSecretVersion(aVersion(secret.id, 1))
          }),
        )
        const results = await Promise.allSettled(attempts)

        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
        const rejected = results.filter((r) => r.status === 'rejected')
        expect(rejected).toHaveLength(19)
        for (const r of rejected) expect(r.reason).toMatchObject({ code: 'name_conflict' })
        expect(await store.listSecrets(user.id, { limit: 100 })).toHaveLength(1)
      })
    })
  })
}
