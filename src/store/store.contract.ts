// What every Store must do. Not a *.test.ts file, so it runs only through sqlite.test.ts and
// postgres.test.ts, once per engine, each test on a fresh empty database.
import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Team } from '../domain/types.js'
import type {
  AuditRecord,
  ClaimedName,
  ConsumerRecord,
  DirectSecretRecord,
  EnvironmentRecord,
  LinkRecord,
  PersonalTokenRecord,
  ProviderConnectionRecord,
  RuntimeTokenRecord,
  SecretRecord,
  SecretVersionRecord,
  Store,
  UserRecord,
  VariableRecord,
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

const anEnvironment = (ownerId: string, overrides: Partial<EnvironmentRecord> = {}) =>
  ({
    id: newId(),
    ownerId,
    name: 'support-agent',
    description: '',
    revision: 0,
    requirements: null,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  }) satisfies EnvironmentRecord

const aDirectSecret = (environmentId: string, overrides: Partial<DirectSecretRecord> = {}) =>
  ({
    id: newId(),
    environmentId,
    name: 'API_KEY',
    description: '',
    version: 1,
    hint: null,
    generator: null,
    updatedRevision: 1,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  }) satisfies DirectSecretRecord

const aVariable = (environmentId: string, overrides: Partial<VariableRecord> = {}) =>
  ({
    id: newId(),
    environmentId,
    name: 'DEBUG',
    value: '1',
    description: '',
    updatedRevision: 1,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  }) satisfies VariableRecord

const aLink = (environmentId: string, secretId: string, overrides: Partial<LinkRecord> = {}) =>
  ({
    id: newId(),
    environmentId,
    secretId,
    updatedRevision: 1,
    createdAt: at(0),
    ...overrides,
  }) satisfies LinkRecord

const aRuntimeToken = (environmentId: string, overrides: Partial<RuntimeTokenRecord> = {}) =>
  ({
    id: newId(),
    environmentId,
    name: 'ci',
    tokenHash: randomBytes(32).toString('hex'),
    previousTokenHash: null,
    previousExpiresAt: null,
    createdAt: at(0),
    expiresAt: null,
    lastUsedAt: null,
    ...overrides,
  }) satisfies RuntimeTokenRecord

const aConsumer = (environmentId: string, overrides: Partial<ConsumerRecord> = {}) =>
  ({
    environmentId,
    kind: 'runtime',
    consumerId: newId(),
    name: 'ci',
    lastResolvedAt: at(0),
    lastResolvedRevision: 1,
    ...overrides,
  }) satisfies ConsumerRecord

const aConnection = (ownerId: string, overrides: Partial<ProviderConnectionRecord> = {}) =>
  ({
    id: newId(),
    ownerId,
    provider: 'openai',
    label: 'OpenAI',
    baseUrl: null,
    version: 1,
    hint: null,
    lastTestOk: null,
    lastTestedAt: null,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  }) satisfies ProviderConnectionRecord

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

    /** An environment of a new user (or of `ownerId`), saved. */
    async function aSavedEnvironment(
      overrides: Partial<EnvironmentRecord> = {},
    ): Promise<EnvironmentRecord> {
      const environment = anEnvironment(overrides.ownerId ?? (await aSavedUser()).id, overrides)
      await store.insertEnvironment(environment)
      return environment
    }

    /** A global secret of `ownerId` with `versions` versions, saved. */
    async function aSavedSecret(
      ownerId: string,
      overrides: Partial<SecretRecord> = {},
      versions = 1,
    ): Promise<SecretRecord> {
      const secret = aSecret(ownerId, { version: versions, ...overrides })
      await store.insertSecret(secret)
      for (let version = 1; version <= versions; version++) {
        await store.insertSecretVersion(aVersion(secret.id, version, { name: secret.name }))
      }
      return secret
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

      it('inserts a batch of events, of several chains, in one call', async () => {
        const owner = newId()
        const other = newId()
        const batch = [1, 2, 3].map((seq) => anEvent(owner, seq)).concat(anEvent(other, 1))
        await store.insertAuditEvents(batch)

        expect(await store.findAuditHead(owner)).toStrictEqual({ seq: 3, hash: batch[2]?.hash })
        expect(await store.findAuditHead(other)).toStrictEqual({ seq: 1, hash: batch[3]?.hash })
        await expect(store.insertAuditEvents([])).resolves.toBeUndefined()
      })

      it('writes none of a batch that would fork a chain', async () => {
        const owner = newId()
        await store.insertAuditEvent(anEvent(owner, 1))
        const fresh = newId()

        const fork = store.insertAuditEvents([anEvent(fresh, 1), anEvent(owner, 1)])
        await expect(fork).rejects.toMatchObject({ code: 'name_conflict' })
        expect(await store.findAuditHead(fresh)).toBeUndefined()
        const repeated = store.insertAuditEvents([anEvent(fresh, 1), anEvent(fresh, 1)])
        await expect(repeated).rejects.toMatchObject({ code: 'name_conflict' })
        expect(await store.findAuditHead(fresh)).toBeUndefined()
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

    describe('environments', () => {
      it('round-trips an environment and finds it by id and by name', async () => {
        const user = await aSavedUser()
        const environment = await aSavedEnvironment({
          ownerId: user.id,
          description: 'The support agent',
          revision: 3,
          requirements: '{"secrets":[{"key":"OPENAI_API_KEY","optional":false}]}',
        })

        expect(await store.findEnvironmentById(environment.id)).toStrictEqual(environment)
        expect(await store.findEnvironmentByName(user.id, environment.name)).toStrictEqual(
          environment,
        )
        expect(await store.findEnvironmentByName(user.id, 'other')).toBeUndefined()
        expect(await store.findEnvironmentByName(newId(), environment.name)).toBeUndefined()
        expect(await store.findEnvironmentById(newId())).toBeUndefined()
        expect(await store.findEnvironmentWithOwner(environment.id)).toStrictEqual({
          environment,
          owner: { kind: 'user', id: user.id, name: user.username },
        })
        expect(await store.findEnvironmentWithOwner(newId())).toBeUndefined()
      })

      it('refuses a second environment with the same name for one owner only', async () => {
        const alice = await aSavedUser()
        const team = aTeam()
        await store.insertTeam(team)
        await aSavedEnvironment({ ownerId: alice.id, name: 'prod' })

        const again = store.insertEnvironment(anEnvironment(alice.id, { name: 'prod' }))
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
        await expect(again).rejects.not.toThrow(/prod/)
        await expect(
          store.insertEnvironment(anEnvironment(team.id, { name: 'prod' })),
        ).resolves.toBeUndefined()
      })

      it('pages environments by name, one owner at a time', async () => {
        const user = await aSavedUser()
        const other = await aSavedUser()
        for (const name of ['e', 'b', 'd', 'a', 'c']) {
          await aSavedEnvironment({ ownerId: user.id, name })
        }
        await aSavedEnvironment({ ownerId: other.id, name: 'bb' })

        const names = async (after?: string) =>
          (await store.listEnvironments(user.id, { limit: 2, ...(after ? { after } : {}) })).map(
            (environment) => environment.name,
          )
        expect(await names()).toEqual(['a', 'b'])
        expect(await names('b')).toEqual(['c', 'd'])
        expect(await names('d')).toEqual(['e'])
        expect(await names('e')).toEqual([])
        expect(await store.listEnvironments(newId(), { limit: 10 })).toEqual([])
      })

      it('updates only the fields given, without moving the revision', async () => {
        const environment = await aSavedEnvironment({ description: 'old', revision: 4 })
        const requirements = '{"secrets":[{"key":"A","optional":true}]}'

        await store.updateEnvironment(environment.id, { requirements, updatedAt: at(5) })
        expect(await store.findEnvironmentById(environment.id)).toStrictEqual({
          ...environment,
          requirements,
          updatedAt: at(5),
        })

        await store.updateEnvironment(environment.id, {
          description: 'new',
          requirements: null,
          updatedAt: at(6),
        })
        expect(await store.findEnvironmentById(environment.id)).toStrictEqual({
          ...environment,
          description: 'new',
          requirements: null,
          updatedAt: at(6),
        })
      })

      it('bumps the revision of one environment and returns it', async () => {
        const user = await aSavedUser()
        const environment = await aSavedEnvironment({ ownerId: user.id, name: 'prod' })
        const other = await aSavedEnvironment({ ownerId: user.id, name: 'dev', revision: 7 })

        expect(await store.bumpRevision(environment.id, at(1))).toBe(1)
        expect(await store.bumpRevision(environment.id, at(2))).toBe(2)
        expect(await store.transaction((tx) => tx.bumpRevision(environment.id, at(3)))).toBe(3)
        expect(await store.findEnvironmentById(environment.id)).toMatchObject({
          revision: 3,
          updatedAt: at(3),
        })
        expect(await store.findEnvironmentById(other.id)).toStrictEqual(other)
        await expect(store.bumpRevision(newId(), at(4))).rejects.toMatchObject({
          code: 'not_found',
        })
      })

      it('deletes an environment with everything in it, and nothing else', async () => {
        const user = await aSavedUser()
        const global = await aSavedSecret(user.id, { name: 'SHARED' }, 2)
        /** One entry of every kind, its claims, a token and a consumer. */
        const fill = async (environment: EnvironmentRecord) => {
          const direct = aDirectSecret(environment.id, { name: 'DIRECT', version: 2 })
          const variable = aVariable(environment.id, { name: 'PLAIN' })
          const link = aLink(environment.id, global.id)
          const previousTokenHash = randomBytes(32).toString('hex')
          const token = aRuntimeToken(environment.id, {
            previousTokenHash,
            previousExpiresAt: at(60),
          })
          await store.insertDirectSecret(direct)
          await store.insertDirectSecretVersion(aVersion(direct.id, 1, { name: 'DIRECT' }))
          await store.insertDirectSecretVersion(aVersion(direct.id, 2, { name: 'DIRECT' }))
          await store.insertVariable(variable)
          await store.insertLink(link)
          for (const [name, kind, entryId] of [
            ['DIRECT', 'direct', direct.id],
            ['PLAIN', 'variable', variable.id],
            ['SHARED', 'linked', link.id],
            ['OPENAI_API_KEY', 'provider', newId()],
          ] as const) {
            await store.claimName({ environmentId: environment.id, name, kind, entryId })
          }
          await store.insertRuntimeToken(token)
          await store.upsertConsumer(aConsumer(environment.id, { consumerId: token.id }))
          await store.upsertConsumer(
            aConsumer(environment.id, { kind: 'user', consumerId: user.id }),
          )
          return { direct, token, previousTokenHash }
        }
        const doomed = await aSavedEnvironment({ ownerId: user.id, name: 'doomed' })
        const kept = await aSavedEnvironment({ ownerId: user.id, name: 'kept' })
        const inDoomed = await fill(doomed)
        const inKept = await fill(kept)
        /** Rows of every child table, as the store's list methods see them. */
        const rows = async (environmentId: string, directId: string, tokenHash: string) => ({
          claims: (await store.listClaims(environmentId)).length,
          directSecrets: (await store.listDirectSecrets(environmentId)).length,
          directVersions: (await store.listDirectSecretVersions(directId)).length,
          currentVersions: (await store.listCurrentDirectSecretVersions(environmentId)).length,
          variables: (await store.listVariables(environmentId)).length,
          links: (await store.listLinks(environmentId)).length,
          tokens: (await store.listRuntimeTokens(environmentId)).length,
          tokenByHash: (await store.findRuntimeTokenByHash(tokenHash)) ? 1 : 0,
          consumers: (await store.listConsumers(environmentId, at(0))).length,
        })
        const full = {
          claims: 4,
          directSecrets: 1,
          directVersions: 2,
          currentVersions: 1,
          variables: 1,
          links: 1,
          tokens: 1,
          tokenByHash: 1,
          consumers: 2,
        }
        const doomedRows = () => rows(doomed.id, inDoomed.direct.id, inDoomed.previousTokenHash)
        expect(await doomedRows()).toStrictEqual(full)

        await store.deleteEnvironment(doomed.id)

        expect(await store.findEnvironmentById(doomed.id)).toBeUndefined()
        expect(await doomedRows()).toStrictEqual({
          claims: 0,
          directSecrets: 0,
          directVersions: 0,
          currentVersions: 0,
          variables: 0,
          links: 0,
          tokens: 0,
          tokenByHash: 0,
          consumers: 0,
        })
        expect(await rows(kept.id, inKept.direct.id, inKept.token.tokenHash)).toStrictEqual(full)
        expect(await store.findEnvironmentById(kept.id)).toStrictEqual(kept)
        // The linked global secret stays, with its versions; only the link went.
        expect(await store.findSecretById(global.id)).toStrictEqual(global)
        expect(await store.listSecretVersions(global.id)).toHaveLength(2)
        expect((await store.listLinksOfSecret(global.id)).map((l) => l.environmentId)).toEqual([
          kept.id,
        ])
      })
    })

    describe('claimed names', () => {
      const claimOf = (
        environmentId: string,
        name: string,
        overrides: Partial<ClaimedName> = {},
      ): ClaimedName => ({ environmentId, name, kind: 'direct', entryId: newId(), ...overrides })

      it('claims a name once and answers later claims with the holder', async () => {
        const environment = await aSavedEnvironment()
        const first = claimOf(environment.id, 'OPENAI_API_KEY', { kind: 'provider' })

        expect(await store.claimName(first)).toBeUndefined()
        expect(
          await store.claimName(claimOf(environment.id, 'OPENAI_API_KEY', { kind: 'variable' })),
        ).toStrictEqual(first)
        expect(await store.findClaim(environment.id, 'OPENAI_API_KEY')).toStrictEqual(first)
        expect(await store.findClaim(environment.id, 'OTHER')).toBeUndefined()
      })

      it('lists the claims of one environment by name', async () => {
        const environment = await aSavedEnvironment()
        const other = await aSavedEnvironment()
        const zed = claimOf(environment.id, 'ZED', { kind: 'variable' })
        const abc = claimOf(environment.id, 'ABC', { kind: 'linked' })
        await store.claimName(zed)
        await store.claimName(abc)
        await store.claimName(claimOf(other.id, 'MID'))

        expect(await store.listClaims(environment.id)).toStrictEqual([abc, zed])
        expect(await store.listClaims(newId())).toEqual([])
      })

      it('releases a name only for its holder', async () => {
        const environment = await aSavedEnvironment()
        const held = claimOf(environment.id, 'DEBUG', { kind: 'variable' })
        await store.claimName(held)

        await store.releaseName(environment.id, 'DEBUG', newId())
        expect(await store.findClaim(environment.id, 'DEBUG')).toStrictEqual(held)

        await store.releaseName(environment.id, 'DEBUG', held.entryId)
        expect(await store.findClaim(environment.id, 'DEBUG')).toBeUndefined()
        const next = claimOf(environment.id, 'DEBUG')
        expect(await store.claimName(next)).toBeUndefined()
        expect(await store.findClaim(environment.id, 'DEBUG')).toStrictEqual(next)
      })

      it('keeps claims per environment', async () => {
        const user = await aSavedUser()
        const prod = await aSavedEnvironment({ ownerId: user.id, name: 'prod' })
        const dev = await aSavedEnvironment({ ownerId: user.id, name: 'dev' })
        const inProd = claimOf(prod.id, 'API_KEY')
        const inDev = claimOf(dev.id, 'API_KEY', { kind: 'linked' })

        expect(await store.claimName(inProd)).toBeUndefined()
        expect(await store.claimName(inDev)).toBeUndefined()
        expect(await store.findClaim(prod.id, 'API_KEY')).toStrictEqual(inProd)
        expect(await store.findClaim(dev.id, 'API_KEY')).toStrictEqual(inDev)

        await store.releaseName(dev.id, 'API_KEY', inProd.entryId)
        expect(await store.findClaim(dev.id, 'API_KEY')).toStrictEqual(inDev)
      })

      it('lets exactly one of 20 concurrent transactions claim a name', async () => {
        const environment = await aSavedEnvironment()
        const attempts = Array.from({ length: 20 }, () =>
          store.transaction(async (tx) => {
            // What the service does: claim, and create the entry only when the claim held.
            const variable = aVariable(environment.id, { name: 'RACE' })
            const holder = await tx.claimName({
              environmentId: environment.id,
              name: 'RACE',
              kind: 'variable',
              entryId: variable.id,
            })
            if (!holder) await tx.insertVariable(variable)
            return { variable, holder }
          }),
        )
        const results = await Promise.all(attempts)

        const winners = results.filter((result) => result.holder === undefined)
        expect(winners).toHaveLength(1)
        const winner = winners[0]?.variable
        const expected: ClaimedName = {
          environmentId: environment.id,
          name: 'RACE',
          kind: 'variable',
          entryId: winner?.id ?? '',
        }
        const losers = results.filter((result) => result.holder !== undefined)
        expect(losers).toHaveLength(19)
        for (const loser of losers) expect(loser.holder).toStrictEqual(expected)
        expect(await store.listClaims(environment.id)).toStrictEqual([expected])
        expect(await store.listVariables(environment.id)).toStrictEqual([winner])
      })
    })

    describe('direct secrets', () => {
      it('round-trips direct secrets, finds them only in their environment, lists by name', async () => {
        const environment = await aSavedEnvironment()
        const other = await aSavedEnvironment()
        const generated = aDirectSecret(environment.id, {
          name: 'WEBHOOK_SECRET',
          description: 'Signs webhooks',
          hint: '…ab12',
          generator: '{"length":32,"alphabet":"base64url"}',
          updatedRevision: 4,
        })
        const plain = aDirectSecret(environment.id, { name: 'API_KEY' })
        await store.insertDirectSecret(generated)
        await store.insertDirectSecret(plain)
        await store.insertDirectSecret(aDirectSecret(other.id, { name: 'ELSEWHERE' }))

        expect(await store.findDirectSecret(environment.id, generated.id)).toStrictEqual(generated)
        expect(await store.findDirectSecret(other.id, generated.id)).toBeUndefined()
        expect(await store.findDirectSecret(environment.id, newId())).toBeUndefined()
        expect(await store.listDirectSecrets(environment.id)).toStrictEqual([plain, generated])
      })

      it('refuses a second direct secret with the same name in one environment only', async () => {
        const environment = await aSavedEnvironment()
        const other = await aSavedEnvironment()
        await store.insertDirectSecret(aDirectSecret(environment.id, { name: 'API_KEY' }))

        const again = store.insertDirectSecret(aDirectSecret(environment.id, { name: 'API_KEY' }))
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
        await expect(again).rejects.not.toThrow(/API_KEY/)
        await expect(
          store.insertDirectSecret(aDirectSecret(other.id, { name: 'API_KEY' })),
        ).resolves.toBeUndefined()
      })

      it('updates only the fields given, renames, and refuses a colliding rename', async () => {
        const environment = await aSavedEnvironment()
        const secret = aDirectSecret(environment.id, { description: 'old', hint: '…1234' })
        await store.insertDirectSecret(secret)
        await store.insertDirectSecret(aDirectSecret(environment.id, { name: 'TAKEN' }))

        await store.updateDirectSecret(secret.id, {
          version: 2,
          hint: null,
          updatedRevision: 9,
          updatedAt: at(5),
        })
        expect(await store.findDirectSecret(environment.id, secret.id)).toStrictEqual({
          ...secret,
          version: 2,
          hint: null,
          updatedRevision: 9,
          updatedAt: at(5),
        })

        await store.updateDirectSecret(secret.id, {
          name: 'RENAMED',
          description: 'new',
          updatedAt: at(6),
        })
        expect(await store.findDirectSecret(environment.id, secret.id)).toStrictEqual({
          ...secret,
          name: 'RENAMED',
          description: 'new',
          version: 2,
          hint: null,
          updatedRevision: 9,
          updatedAt: at(6),
        })

        const rename = store.updateDirectSecret(secret.id, { name: 'TAKEN', updatedAt: at(7) })
        await expect(rename).rejects.toMatchObject({ code: 'name_conflict' })
        expect(await store.findDirectSecret(environment.id, secret.id)).toMatchObject({
          name: 'RENAMED',
        })
      })

      it('deletes a direct secret with all its versions', async () => {
        const environment = await aSavedEnvironment()
        const secret = aDirectSecret(environment.id, { version: 2 })
        const kept = aDirectSecret(environment.id, { name: 'KEPT' })
        await store.insertDirectSecret(secret)
        await store.insertDirectSecret(kept)
        await store.insertDirectSecretVersion(aVersion(secret.id, 1))
        await store.insertDirectSecretVersion(aVersion(secret.id, 2))
        await store.insertDirectSecretVersion(aVersion(kept.id, 1, { name: 'KEPT' }))

        await store.deleteDirectSecret(secret.id)
        expect(await store.findDirectSecret(environment.id, secret.id)).toBeUndefined()
        expect(await store.listDirectSecretVersions(secret.id)).toEqual([])
        expect(await store.listDirectSecrets(environment.id)).toStrictEqual([kept])
        expect(await store.listDirectSecretVersions(kept.id)).toHaveLength(1)
      })

      it('keeps version ciphertexts byte-exact, lists them newest first, refuses duplicates', async () => {
        const environment = await aSavedEnvironment()
        const secret = aDirectSecret(environment.id, { version: 2 })
        await store.insertDirectSecret(secret)
        const first = aVersion(secret.id, 1, { ciphertext: allBytes() })
        const second = aVersion(secret.id, 2, {
          hint: '…wxyz',
          createdBy: newId(),
          createdByName: 'ci',
        })
        await store.insertDirectSecretVersion(first)
        await store.insertDirectSecretVersion(second)

        const listed = await store.listDirectSecretVersions(secret.id)
        expect(listed).toStrictEqual([second, first])
        expect(Buffer.isBuffer(listed[1]?.ciphertext)).toBe(true)
        expect(listed[1]?.ciphertext.equals(first.ciphertext)).toBe(true)
        expect(await store.findDirectSecretVersion(secret.id, 2)).toStrictEqual(second)
        expect(await store.findDirectSecretVersion(secret.id, 3)).toBeUndefined()
        // Versions of global and direct secrets live apart.
        expect(await store.findSecretVersion(secret.id, 2)).toBeUndefined()

        const again = store.insertDirectSecretVersion(aVersion(secret.id, 2))
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
      })

      it('prunes all but the newest versions of one direct secret', async () => {
        const environment = await aSavedEnvironment()
        const secret = aDirectSecret(environment.id, { version: 25 })
        const other = aDirectSecret(environment.id, { name: 'OTHER', version: 3 })
        await store.insertDirectSecret(secret)
        await store.insertDirectSecret(other)
        for (let version = 1; version <= 25; version++) {
          await store.insertDirectSecretVersion(aVersion(secret.id, version))
        }
        for (let version = 1; version <= 3; version++) {
          await store.insertDirectSecretVersion(aVersion(other.id, version, { name: 'OTHER' }))
        }

        await store.pruneDirectSecretVersions(secret.id, 20)
        const kept = (await store.listDirectSecretVersions(secret.id)).map((v) => v.version)
        expect(kept).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i))

        await store.pruneDirectSecretVersions(secret.id, 30)
        expect(await store.listDirectSecretVersions(secret.id)).toHaveLength(20)

        await store.pruneDirectSecretVersions(secret.id, 1)
        expect((await store.listDirectSecretVersions(secret.id)).map((v) => v.version)).toEqual([
          25,
        ])
        expect(await store.listDirectSecretVersions(other.id)).toHaveLength(3)
      })

      it('lists exactly the current version of every direct secret of one environment', async () => {
        const environment = await aSavedEnvironment()
        const other = await aSavedEnvironment()
        // Current is the secret's `version`, not the newest row: B points at 2 of 3.
        const a = aDirectSecret(environment.id, { name: 'A', version: 3 })
        const b = aDirectSecret(environment.id, { name: 'B', version: 2 })
        const c = aDirectSecret(environment.id, { name: 'C', version: 1 })
        const elsewhere = aDirectSecret(other.id, { name: 'A', version: 1 })
        const current = new Map<string, SecretVersionRecord>()
        for (const [secret, rows] of [
          [c, 1],
          [a, 3],
          [b, 3],
          [elsewhere, 1],
        ] as const) {
          await store.insertDirectSecret(secret)
          for (let version = 1; version <= rows; version++) {
            const row = aVersion(secret.id, version, { name: secret.name })
            await store.insertDirectSecretVersion(row)
            if (version === secret.version) current.set(secret.id, row)
          }
        }

        expect(await store.listCurrentDirectSecretVersions(environment.id)).toStrictEqual([
          current.get(a.id),
          current.get(b.id),
          current.get(c.id),
        ])
        expect(await store.listCurrentDirectSecretVersions(newId())).toEqual([])
      })
    })

    describe('variables', () => {
      it('round-trips variables, empty and multi-line values included, listed by name', async () => {
        const environment = await aSavedEnvironment()
        const other = await aSavedEnvironment()
        const empty = aVariable(environment.id, { name: 'EMPTY', value: '' })
        const multi = aVariable(environment.id, {
          name: 'CERT',
          value: 'line 1\r\nline 2\n  ü €\t',
          description: 'PEM',
          updatedRevision: 3,
        })
        await store.insertVariable(empty)
        await store.insertVariable(multi)
        await store.insertVariable(aVariable(other.id, { name: 'ELSEWHERE' }))

        expect(await store.findVariable(environment.id, empty.id)).toStrictEqual(empty)
        expect(await store.findVariable(environment.id, multi.id)).toStrictEqual(multi)
        expect(await store.findVariable(other.id, multi.id)).toBeUndefined()
        expect(await store.listVariables(environment.id)).toStrictEqual([multi, empty])
      })

      it('refuses a second variable with the same name in one environment', async () => {
        const environment = await aSavedEnvironment()
        await store.insertVariable(aVariable(environment.id, { name: 'DEBUG' }))

        const again = store.insertVariable(aVariable(environment.id, { name: 'DEBUG' }))
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
        await expect(again).rejects.not.toThrow(/DEBUG/)
      })

      it('updates only the fields given, renames, refuses a colliding rename, deletes', async () => {
        const environment = await aSavedEnvironment()
        const variable = aVariable(environment.id, { value: 'on', description: 'old' })
        await store.insertVariable(variable)
        await store.insertVariable(aVariable(environment.id, { name: 'TAKEN' }))

        await store.updateVariable(variable.id, { value: '', updatedRevision: 5, updatedAt: at(5) })
        expect(await store.findVariable(environment.id, variable.id)).toStrictEqual({
          ...variable,
          value: '',
          updatedRevision: 5,
          updatedAt: at(5),
        })

        await store.updateVariable(variable.id, {
          name: 'VERBOSE',
          description: 'new',
          updatedAt: at(6),
        })
        expect(await store.findVariable(environment.id, variable.id)).toStrictEqual({
          ...variable,
          name: 'VERBOSE',
          value: '',
          description: 'new',
          updatedRevision: 5,
          updatedAt: at(6),
        })

        const rename = store.updateVariable(variable.id, { name: 'TAKEN', updatedAt: at(7) })
        await expect(rename).rejects.toMatchObject({ code: 'name_conflict' })

        await store.deleteVariable(variable.id)
        expect(await store.findVariable(environment.id, variable.id)).toBeUndefined()
        expect((await store.listVariables(environment.id)).map((v) => v.name)).toEqual(['TAKEN'])
      })
    })

    describe('links', () => {
      it('links a global secret once per environment', async () => {
        const user = await aSavedUser()
        const prod = await aSavedEnvironment({ ownerId: user.id, name: 'prod' })
        const dev = await aSavedEnvironment({ ownerId: user.id, name: 'dev' })
        const secret = await aSavedSecret(user.id)
        const link = aLink(prod.id, secret.id)
        await store.insertLink(link)

        expect(await store.findLink(prod.id, secret.id)).toStrictEqual(link)
        expect(await store.findLink(dev.id, secret.id)).toBeUndefined()
        const again = store.insertLink(aLink(prod.id, secret.id))
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
        await expect(store.insertLink(aLink(dev.id, secret.id))).resolves.toBeUndefined()
      })

      it('lists links with their global secrets, by secret name', async () => {
        const user = await aSavedUser()
        const environment = await aSavedEnvironment({ ownerId: user.id })
        const other = await aSavedEnvironment({ ownerId: user.id, name: 'other' })
        const zed = await aSavedSecret(user.id, { name: 'ZED', isFile: true, hint: '…wxyz' }, 2)
        const abc = await aSavedSecret(user.id, { name: 'ABC', description: 'first' })
        const toZed = aLink(environment.id, zed.id, { updatedRevision: 2, createdAt: at(9) })
        const toAbc = aLink(environment.id, abc.id, { updatedRevision: 3, createdAt: at(8) })
        await store.insertLink(toZed)
        await store.insertLink(toAbc)
        await store.insertLink(aLink(other.id, abc.id))

        expect(await store.listLinks(environment.id)).toStrictEqual([
          { ...toAbc, secret: abc },
          { ...toZed, secret: zed },
        ])
        expect(await store.listLinks(newId())).toEqual([])

        await store.updateLinkRevision(toZed.id, 11)
        expect(await store.findLink(environment.id, zed.id)).toStrictEqual({
          ...toZed,
          updatedRevision: 11,
        })
      })

      it('unlinks, answering whether there was a link', async () => {
        const user = await aSavedUser()
        const environment = await aSavedEnvironment({ ownerId: user.id })
        const secret = await aSavedSecret(user.id)
        await store.insertLink(aLink(environment.id, secret.id))

        expect(await store.deleteLink(newId(), secret.id)).toBe(false)
        expect(await store.deleteLink(environment.id, secret.id)).toBe(true)
        expect(await store.findLink(environment.id, secret.id)).toBeUndefined()
        expect(await store.deleteLink(environment.id, secret.id)).toBe(false)
      })

      it('lists where a global secret is linked, by owner and environment name', async () => {
        const team = aTeam({ slug: 'acme' })
        await store.insertTeam(team)
        const user = await aSavedUser({ username: 'zoe' })
        const secret = await aSavedSecret(team.id)
        const otherSecret = await aSavedSecret(team.id, { name: 'OTHER' })
        const prod = await aSavedEnvironment({ ownerId: team.id, name: 'prod' })
        const dev = await aSavedEnvironment({ ownerId: team.id, name: 'dev' })
        // The store does not decide scopes (the service does): an odd link still gets listed.
        const personal = await aSavedEnvironment({ ownerId: user.id, name: 'alpha' })
        const toProd = aLink(prod.id, secret.id)
        const toDev = aLink(dev.id, secret.id)
        const toPersonal = aLink(personal.id, secret.id)
        for (const link of [toProd, toPersonal, toDev]) await store.insertLink(link)
        await store.insertLink(aLink(prod.id, otherSecret.id))

        expect(await store.listLinksOfSecret(secret.id)).toStrictEqual([
          { linkId: toDev.id, environmentId: dev.id, environmentName: 'dev', ownerName: 'acme' },
          { linkId: toProd.id, environmentId: prod.id, environmentName: 'prod', ownerName: 'acme' },
          {
            linkId: toPersonal.id,
            environmentId: personal.id,
            environmentName: 'alpha',
            ownerName: 'zoe',
          },
        ])
        expect(await store.listLinksOfSecret(newId())).toEqual([])
      })

      it('refuses to delete a linked global secret, deleting nothing', async () => {
        const user = await aSavedUser()
        const environment = await aSavedEnvironment({ ownerId: user.id })
        const secret = await aSavedSecret(user.id, {}, 2)
        const link = aLink(environment.id, secret.id)
        await store.insertLink(link)

        const deleting = store.deleteSecret(secret.id)
        await expect(deleting).rejects.toMatchObject({ code: 'still_linked' })
        await expect(deleting).rejects.not.toThrow(/API_KEY|FOREIGN|foreign/)
        const inTransaction = store.transaction((tx) => tx.deleteSecret(secret.id))
        await expect(inTransaction).rejects.toMatchObject({ code: 'still_linked' })
        expect(await store.findSecretById(secret.id)).toStrictEqual(secret)
        expect(await store.listSecretVersions(secret.id)).toHaveLength(2)
        expect(await store.findLink(environment.id, secret.id)).toStrictEqual(link)

        await store.deleteLink(environment.id, secret.id)
        await store.deleteSecret(secret.id)
        expect(await store.findSecretById(secret.id)).toBeUndefined()
      })
    })

    describe('runtime tokens', () => {
      it('finds a token by its current hash, and by its previous one after a rotate', async () => {
        const environment = await aSavedEnvironment()
        const token = aRuntimeToken(environment.id, { expiresAt: at(1000) })
        await store.insertRuntimeToken(token)

        expect(await store.findRuntimeTokenByHash(token.tokenHash)).toStrictEqual(token)
        expect(await store.findRuntimeTokenByHash('0'.repeat(64))).toBeUndefined()

        const rotated = {
          ...token,
          tokenHash: randomBytes(32).toString('hex'),
          previousTokenHash: token.tokenHash,
          previousExpiresAt: at(60),
        }
        await store.updateRuntimeToken(token.id, {
          tokenHash: rotated.tokenHash,
          previousTokenHash: rotated.previousTokenHash,
          previousExpiresAt: rotated.previousExpiresAt,
        })
        expect(await store.findRuntimeTokenByHash(rotated.tokenHash)).toStrictEqual(rotated)
        expect(await store.findRuntimeTokenByHash(token.tokenHash)).toStrictEqual(rotated)

        // A rotate without grace forgets the old hash.
        await store.updateRuntimeToken(token.id, {
          tokenHash: rotated.tokenHash,
          previousTokenHash: null,
          previousExpiresAt: null,
        })
        expect(await store.findRuntimeTokenByHash(token.tokenHash)).toBeUndefined()
        expect(await store.findRuntimeTokenByHash(rotated.tokenHash)).toMatchObject({
          id: token.id,
          previousTokenHash: null,
          previousExpiresAt: null,
        })
      })

      it('refuses a second token with the same hash', async () => {
        const environment = await aSavedEnvironment()
        const token = aRuntimeToken(environment.id)
        await store.insertRuntimeToken(token)

        const again = store.insertRuntimeToken(
          aRuntimeToken(environment.id, { tokenHash: token.tokenHash }),
        )
        await expect(again).rejects.toMatchObject({ code: 'name_conflict' })
      })

      it('finds and lists tokens of one environment, newest first', async () => {
        const environment = await aSavedEnvironment()
        const other = await aSavedEnvironment()
        const old = aRuntimeToken(environment.id, { createdAt: at(1) })
        const recent = aRuntimeToken(environment.id, { name: 'prod', createdAt: at(3) })
        await store.insertRuntimeToken(old)
        await store.insertRuntimeToken(recent)
        await store.insertRuntimeToken(aRuntimeToken(other.id, { createdAt: at(2) }))

        expect(await store.listRuntimeTokens(environment.id)).toStrictEqual([recent, old])
        expect(await store.findRuntimeToken(environment.id, old.id)).toStrictEqual(old)
        expect(await store.findRuntimeToken(other.id, old.id)).toBeUndefined()
      })

      it('deletes a token only in its own environment, and records its last use', async () => {
        const environment = await aSavedEnvironment()
        const other = await aSavedEnvironment()
        const token = aRuntimeToken(environment.id)
        await store.insertRuntimeToken(token)

        await store.touchRuntimeToken(token.id, at(7))
        expect(await store.findRuntimeToken(environment.id, token.id)).toStrictEqual({
          ...token,
          lastUsedAt: at(7),
        })

        expect(await store.deleteRuntimeToken(other.id, token.id)).toBe(false)
        expect(await store.findRuntimeTokenByHash(token.tokenHash)).toBeDefined()
        expect(await store.deleteRuntimeToken(environment.id, token.id)).toBe(true)
        expect(await store.findRuntimeTokenByHash(token.tokenHash)).toBeUndefined()
        expect(await store.deleteRuntimeToken(environment.id, token.id)).toBe(false)
      })
    })

    describe('provider connections', () => {
      async function aSavedConnection(
        ownerId: string,
        overrides: Partial<ProviderConnectionRecord> = {},
      ): Promise<ProviderConnectionRecord> {
        const connection = aConnection(ownerId, overrides)
        await store.insertProviderConnection(connection)
        await store.insertProviderKeyVersion(
          aVersion(connection.id, 1, { name: connection.provider, ciphertext: allBytes() }),
        )
        return connection
      }
      const attachmentOf = (
        environmentId: string,
        connection: ProviderConnectionRecord,
        updatedRevision = 2,
      ) => ({
        id: newId(),
        environmentId,
        connectionId: connection.id,
        provider: connection.provider,
        updatedRevision,
        createdAt: at(3),
      })

      it('stores, lists, updates and deletes connections with their key versions', async () => {
        const user = await aSavedUser()
        const other = await aSavedUser()
        const first = await aSavedConnection(user.id, { createdAt: at(1), updatedAt: at(1) })
        const custom = await aSavedConnection(user.id, {
          provider: 'custom',
          label: 'Local',
          baseUrl: 'http://127.0.0.1:9999/v1',
          createdAt: at(2),
          updatedAt: at(2),
        })
        await aSavedConnection(other.id)

        expect(await store.findProviderConnection(custom.id)).toStrictEqual(custom)
        expect(await store.listProviderConnections(user.id)).toStrictEqual([first, custom])
        const key = await store.findProviderKeyVersion(first.id, 1)
        expect(key?.ciphertext.subarray(0, 256)).toStrictEqual(allBytes().subarray(0, 256))

        await store.insertProviderKeyVersion(aVersion(first.id, 2, { name: 'openai' }))
        await store.updateProviderConnection(first.id, {
          label: 'Renamed',
          version: 2,
          hint: '…abcd',
          lastTestOk: false,
          lastTestedAt: at(9),
          updatedAt: at(9),
        })
        const updated = {
          ...first,
          label: 'Renamed',
          version: 2,
          hint: '…abcd',
          lastTestOk: false,
          lastTestedAt: at(9),
          updatedAt: at(9),
        }
        expect(await store.findProviderConnection(first.id)).toStrictEqual(updated)
        await store.updateProviderConnection(first.id, { lastTestOk: true, updatedAt: at(10) })
        expect((await store.findProviderConnection(first.id))?.lastTestOk).toBe(true)
        expect((await store.listProviderKeyVersions(first.id)).map((v) => v.version)).toStrictEqual(
          [2, 1],
        )
        await store.pruneProviderKeyVersions(first.id, 1)
        expect((await store.listProviderKeyVersions(first.id)).map((v) => v.version)).toStrictEqual(
          [2],
        )

        await store.deleteProviderConnection(first.id)
        expect(await store.findProviderConnection(first.id)).toBeUndefined()
        expect(await store.listProviderKeyVersions(first.id)).toStrictEqual([])
        expect(await store.listProviderConnections(user.id)).toStrictEqual([custom])
      })

      it('attaches a connection once and one connection per provider per environment', async () => {
        const user = await aSavedUser({ username: 'zed' })
        const environment = await aSavedEnvironment({ ownerId: user.id, name: 'app' })
        const openai = await aSavedConnection(user.id)
        const secondOpenai = await aSavedConnection(user.id, { label: 'Other' })
        const anthropic = await aSavedConnection(user.id, { provider: 'anthropic' })

        const attached = attachmentOf(environment.id, openai)
        await store.insertProviderAttachment(attached)
        await expect(
          store.insertProviderAttachment(attachmentOf(environment.id, openai)),
        ).rejects.toMatchObject({ code: 'name_conflict' })
        await expect(
          store.insertProviderAttachment(attachmentOf(environment.id, secondOpenai)),
        ).rejects.toMatchObject({ code: 'provider_conflict' })
        const second = attachmentOf(environment.id, anthropic)
        await store.insertProviderAttachment(second)

        expect(await store.listProviderAttachments(environment.id)).toStrictEqual([
          { ...second, connection: anthropic },
          { ...attached, connection: openai },
        ])
        await store.updateProviderAttachmentRevision(attached.id, 7)
        expect(
          (await store.listProviderAttachments(environment.id)).map((a) => a.updatedRevision),
        ).toStrictEqual([2, 7])
        expect(await store.listAttachmentsOfConnection(openai.id)).toStrictEqual([
          {
            attachmentId: attached.id,
            environmentId: environment.id,
            environmentName: 'app',
            ownerName: 'zed',
          },
        ])

        await expect(store.deleteProviderConnection(openai.id)).rejects.toMatchObject({
          code: 'still_linked',
        })
        expect(await store.findProviderConnection(openai.id)).toStrictEqual(openai)

        expect(await store.deleteProviderAttachment(environment.id, openai.id)).toBe(true)
        expect(await store.deleteProviderAttachment(environment.id, openai.id)).toBe(false)
        expect(await store.listAttachmentsOfConnection(openai.id)).toStrictEqual([])
        await store.deleteProviderConnection(openai.id)
        // The provider is free again in the environment.
        await store.insertProviderAttachment(attachmentOf(environment.id, secondOpenai))
      })

      it('deletes attachments with their environment, not the connections', async () => {
        const user = await aSavedUser()
        const doomed = await aSavedEnvironment({ ownerId: user.id, name: 'doomed' })
        const kept = await aSavedEnvironment({ ownerId: user.id, name: 'kept' })
        const connection = await aSavedConnection(user.id)
        await store.insertProviderAttachment(attachmentOf(doomed.id, connection))
        await store.insertProviderAttachment(attachmentOf(kept.id, connection))

        await store.deleteEnvironment(doomed.id)

        expect(await store.listProviderAttachments(doomed.id)).toStrictEqual([])
        expect(
          (await store.listAttachmentsOfConnection(connection.id)).map((a) => a.environmentId),
        ).toStrictEqual([kept.id])
        expect(await store.findProviderConnection(connection.id)).toStrictEqual(connection)
      })

      it('rolls an attachment back with its transaction', async () => {
        const user = await aSavedUser()
        const environment = await aSavedEnvironment({ ownerId: user.id })
        const connection = await aSavedConnection(user.id)
        await expect(
          store.transaction(async (tx) => {
            await tx.insertProviderAttachment(attachmentOf(environment.id, connection))
            throw new Error('abort')
          }),
        ).rejects.toThrow('abort')
        expect(await store.listProviderAttachments(environment.id)).toStrictEqual([])
      })
    })

    describe('consumers', () => {
      it("replaces a consumer's last resolve", async () => {
        const environment = await aSavedEnvironment()
        const consumer = aConsumer(environment.id, { lastResolvedAt: at(1) })
        await store.upsertConsumer(consumer)
        expect(await store.listConsumers(environment.id, at(0))).toStrictEqual([consumer])

        const later = {
          ...consumer,
          name: 'renamed',
          lastResolvedAt: at(5),
          lastResolvedRevision: 4,
        }
        await store.upsertConsumer(later)
        expect(await store.listConsumers(environment.id, at(0))).toStrictEqual([later])
      })

      it('keeps the newer resolve when an older one arrives late (batches out of order)', async () => {
        const environment = await aSavedEnvironment()
        const newer = aConsumer(environment.id, { lastResolvedAt: at(9), lastResolvedRevision: 7 })
        await store.upsertConsumer(newer)
        await store.upsertConsumer({ ...newer, lastResolvedAt: at(8), lastResolvedRevision: 6 })
        await store.upsertConsumer({ ...newer, lastResolvedAt: at(7), lastResolvedRevision: 7 })
        expect(await store.listConsumers(environment.id, at(0))).toStrictEqual([newer])

        // A newer revision wins even with an earlier clock (another replica's).
        const next = { ...newer, lastResolvedAt: at(8), lastResolvedRevision: 8 }
        await store.upsertConsumer(next)
        expect(await store.listConsumers(environment.id, at(0))).toStrictEqual([next])
      })

      it('lists consumers that resolved since a time, newest first, one environment only', async () => {
        const environment = await aSavedEnvironment()
        const other = await aSavedEnvironment()
        const id = newId()
        const stale = aConsumer(environment.id, { lastResolvedAt: at(10) })
        const asUser = aConsumer(environment.id, {
          kind: 'user',
          consumerId: id,
          lastResolvedAt: at(20),
        })
        // Same id, other kind: another consumer.
        const asToken = aConsumer(environment.id, { consumerId: id, lastResolvedAt: at(40) })
        const middle = aConsumer(environment.id, { lastResolvedAt: at(30) })
        for (const consumer of [stale, asUser, asToken, middle]) {
          await store.upsertConsumer(consumer)
        }
        await store.upsertConsumer(aConsumer(other.id, { lastResolvedAt: at(50) }))

        expect(await store.listConsumers(environment.id, at(20))).toStrictEqual([
          asToken,
          middle,
          asUser,
        ])
        expect(await store.listConsumers(environment.id, at(0))).toHaveLength(4)
        expect(await store.listConsumers(environment.id, at(41))).toEqual([])
      })
    })
  })
}
