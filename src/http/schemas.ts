// Request and response schemas, defined once: they validate requests, type the handlers and
// generate the OpenAPI 3.1 document, so the three cannot drift (SPEC.md §3).
import { z } from '@hono/zod-openapi'

export const Id = z
  .string()
  .regex(/^c[a-z0-9]{24}$/)
  .openapi({ example: 'cmi4x2k9p0000abcdefghijkl' })
const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
const Role = z.enum(['admin', 'member', 'viewer'])

export const ErrorBody = z
  .object({
    detail: z.string(),
    errors: z.array(z.object({ param: z.string(), details: z.string(), code: z.string() })),
  })
  .openapi('Error')

export const envelope = <T extends z.ZodType>(data: T) =>
  z.object({ data, status: z.literal('success') })

export const pagedEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    status: z.literal('success'),
    meta: z.object({ nextCursor: z.string().nullable() }),
  })

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
  cursor: z.string().max(512).optional(),
})

// Users, tokens, teams (SPEC.md §3.1)
export const User = z
  .object({
    id: Id,
    username: z.string(),
    isAdmin: z.boolean(),
    disabled: z.boolean(),
    createdAt: Timestamp,
  })
  .openapi('User')
export const Team = z
  .object({ id: Id, slug: z.string(), name: z.string(), createdAt: Timestamp })
  .openapi('Team')
export const TeamWithRole = Team.extend({ role: Role }).openapi('TeamWithRole')
export const Member = z
  .object({ userId: Id, username: z.string(), role: Role, createdAt: Timestamp })
  .openapi('Member')
export const Me = z.object({ user: User, teams: z.array(TeamWithRole) }).openapi('Me')
export const PersonalToken = z
  .object({
    id: Id,
    name: z.string(),
    createdAt: Timestamp,
    expiresAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable(),
  })
  .openapi('PersonalToken')
export const IssuedPersonalToken = PersonalToken.extend({
  token: z.string().openapi({ description: 'Shown once: `cfp_` + 43 base64url characters' }),
}).openapi('IssuedPersonalToken')

export const LoginRequest = z
  .strictObject({
    username: z.string().max(64),
    password: z.string().max(1024),
    tokenName: z.string().max(100).optional(),
    session: z.boolean().optional(),
  })
  .openapi('LoginRequest')
export const LoginResponse = z
  .object({
    token: z.string().nullable().openapi({
      description: 'The personal token; null for a web session (the cookie carries it)',
    }),
    user: User,
    expiresAt: Timestamp.nullable(),
    csrfToken: z
      .string()
      .optional()
      .openapi({ description: 'Web sessions: send as X-CSRF-Token on mutations' }),
  })
  .openapi('LoginResponse')
export const CreateTokenRequest = z
  .strictObject({ name: z.string(), expiresAt: Timestamp.optional() })
  .openapi('CreateTokenRequest')
export const CreateUserRequest = z
  .strictObject({ username: z.string(), password: z.string(), isAdmin: z.boolean().optional() })
  .openapi('CreateUserRequest')
export const UpdateUserRequest = z
  .strictObject({ disabled: z.boolean().optional(), isAdmin: z.boolean().optional() })
  .openapi('UpdateUserRequest')
export const CreateTeamRequest = z
  .strictObject({ slug: z.string(), name: z.string().optional() })
  .openapi('CreateTeamRequest')
export const AddMemberRequest = z
  .strictObject({ username: z.string(), role: Role.default('member') })
  .openapi('AddMemberRequest')
export const UpdateMemberRequest = z.strictObject({ role: Role }).openapi('UpdateMemberRequest')

// Global secrets (SPEC.md §3.2)
export const Secret = z
  .object({
    id: Id,
    name: z.string().openapi({ example: 'OPENAI_API_KEY' }),
    description: z.string(),
    isFile: z.boolean(),
    userId: Id.nullable(),
    teamId: Id.nullable(),
    version: z.number().int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    hint: z
      .string()
      .nullable()
      .openapi({ description: '"…" + last 4 characters when the value has ≥ 20 characters' }),
  })
  .openapi('Secret')
export const CreateSecretRequest = z
  .strictObject({
    name: z.string(),
    value: z.string().openapi({ description: 'Write-only: never returned again' }),
    description: z.string().optional(),
    teamId: Id.optional(),
    isFile: z.boolean().optional(),
  })
  .openapi('CreateSecretRequest')
export const UpdateSecretRequest = z
  .strictObject({
    name: z.string().optional(),
    value: z.string().optional(),
    description: z.string().optional(),
  })
  .openapi('UpdateSecretRequest')
export const SecretVersion = z
  .object({
    version: z.number().int(),
    createdAt: Timestamp,
    createdBy: z.string().nullable(),
    hint: z.string().nullable(),
  })
  .openapi('SecretVersion')
export const RollbackRequest = z
  .strictObject({ version: z.number().int().min(1) })
  .openapi('RollbackRequest')
export const SecretLink = z
  .object({ environment: z.string(), environmentId: Id })
  .openapi('SecretLink')
export const TeamIdQuery = z.object({ teamId: Id.optional() })

// Audit (SPEC.md §3.9)
export const AuditEvent = z
  .object({
    id: Id,
    seq: z.number().int(),
    at: Timestamp,
    owner: z.string(),
    actor: z.object({
      kind: z.enum(['user', 'runtime', 'anonymous']),
      id: z.string().nullable(),
      name: z.string().nullable(),
    }),
    action: z.string(),
    target: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    outcome: z.enum(['success', 'failure']),
    hash: z.string(),
  })
  .openapi('AuditEvent')
export const AuditQuery = PageQuery.extend({
  owner: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  since: z
    .string()
    .max(40)
    .optional()
    .openapi({ description: 'ISO-8601 time, or a duration such as 15m, 1h, 7d' }),
})

// Seed compatibility (SPEC.md §3.8)
export const WhoAmI = z
  .object({
    id: Id,
    email: z.string().nullable(),
    name: z.string(),
    slug: z.string(),
    scope: z.string(),
  })
  .openapi('WhoAmI')

// Environments (SPEC.md §3.3–3.5)
export const Environment = z
  .object({
    id: Id,
    owner: z.string().openapi({ example: 'acme' }),
    name: z.string().openapi({ example: 'support-agent' }),
    description: z.string(),
    revision: z.number().int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Environment')
export const CreateEnvironmentRequest = z
  .strictObject({ owner: z.string(), name: z.string(), description: z.string().optional() })
  .openapi('CreateEnvironmentRequest')
export const UpdateEnvironmentRequest = z
  .strictObject({ description: z.string().optional() })
  .openapi('UpdateEnvironmentRequest')
export const EnvironmentQuery = PageQuery.extend({ owner: z.string().max(64).optional() })
export const EnvironmentEntry = z
  .object({
    id: Id,
    name: z.string(),
    description: z.string(),
    type: z.enum(['direct', 'linked']),
    secretId: Id.optional().openapi({ description: 'The linked global secret (linked only)' }),
    hint: z.string().nullable(),
    version: z.number().int(),
    updatedRevision: z.number().int(),
    synced: z.boolean().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('EnvironmentEntry')
export const IssuedEnvironmentEntry = EnvironmentEntry.extend({
  value: z
    .string()
    .optional()
    .openapi({ description: 'Generated secrets only, shown once: the create and rotate answers' }),
}).openapi('IssuedEnvironmentEntry')
export const Generate = z
  .strictObject({
    length: z.number().int().min(16).max(256).default(32),
    alphabet: z.enum(['base64url', 'hex', 'alphanumeric']).default('base64url'),
  })
  .openapi('Generate')
export const CreateDirectSecretRequest = z
  .strictObject({
    name: z.string(),
    value: z.string().optional().openapi({ description: 'Write-only: never returned again' }),
    generate: Generate.optional(),
    description: z.string().optional(),
  })
  .openapi('CreateDirectSecretRequest')
export const LinkRequest = z.strictObject({ secretId: z.string() }).openapi('LinkRequest')
export const Variable = z
  .object({
    id: Id,
    name: z.string(),
    value: z.string(),
    description: z.string(),
    updatedRevision: z.number().int(),
    synced: z.boolean().nullable().openapi({
      description:
        'Listings: every consumer of the last 7 days resolved at or after updatedRevision (null: none)',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Variable')
export const CreateVariableRequest = z
  .strictObject({ name: z.string(), value: z.string(), description: z.string().optional() })
  .openapi('CreateVariableRequest')
export const UpdateVariableRequest = z
  .strictObject({
    name: z.string().optional(),
    value: z.string().optional(),
    description: z.string().optional(),
  })
  .openapi('UpdateVariableRequest')

// ---- Requirements, import, seed-compatible environment routes (SPEC.md §3.6, §3.8) ----
export const Requirement = z
  .strictObject({
    key: z.string().openapi({ example: 'OPENAI_API_KEY' }),
    description: z.string().optional(),
    optional: z.boolean().optional(),
  })
  .openapi('Requirement')
export const RequirementsRequest = z
  .strictObject({ secrets: z.array(Requirement) })
  .openapi('RequirementsRequest')
export const Requirements = z
  .object({
    secrets: z.array(
      z.object({ key: z.string(), description: z.string().optional(), optional: z.boolean() }),
    ),
  })
  .openapi('Requirements')
export const ImportRequest = z
  .strictObject({
    content: z.string().openapi({ description: 'The text of a .env file (values are write-only)' }),
    format: z.enum(['dotenv']).default('dotenv'),
    as: z.enum(['secret', 'variable']).default('secret'),
    onConflict: z.enum(['fail', 'skip', 'overwrite']).default('fail'),
  })
  .openapi('ImportRequest')
export const ImportResult = z
  .object({
    created: z.array(z.string()),
    updated: z.array(z.string()),
    skipped: z.array(z.string()),
    duplicates: z
      .array(z.object({ name: z.string(), lines: z.array(z.number().int()) }))
      .openapi({ description: 'Keys defined more than once in the file: the last one wins' }),
  })
  .openapi('ImportResult')
export const HubSource = z.enum(['environment', 'global-linked'])
export const HubSecret = EnvironmentEntry.extend({ source: HubSource }).openapi('HubSecret')
export const IssuedHubSecret = IssuedEnvironmentEntry.extend({ source: HubSource }).openapi(
  'IssuedHubSecret',
)
export const HubLink = z
  .object({
    id: Id,
    secretId: Id,
    secretName: z.string(),
    environmentId: Id,
    createdAt: Timestamp,
  })
  .openapi('HubLink')
export const HubLinkRequest = z.strictObject({}).openapi('HubLinkRequest')
// Runtime tokens, resolve, status, revision (SPEC.md §1 "Runtime tokens and sync", §3.3, §3.6, §3.7)
export const RuntimeToken = z
  .object({
    id: Id,
    name: z.string(),
    createdAt: Timestamp,
    expiresAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable(),
    lastResolvedRevision: z.number().int().nullable(),
  })
  .openapi('RuntimeToken')
export const IssuedRuntimeToken = RuntimeToken.extend({
  token: z.string().openapi({ description: 'Shown once: `cft_` + 43 base64url characters' }),
}).openapi('IssuedRuntimeToken')
export const CreateRuntimeTokenRequest = z
  .strictObject({
    name: z.string(),
    expiresInSeconds: z
      .number()
      .int()
      .min(1)
      .max(10 * 365 * 24 * 60 * 60)
      .optional(),
  })
  .openapi('CreateRuntimeTokenRequest')
export const RotateRuntimeTokenRequest = z
  .strictObject({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .optional()
      .openapi({ description: 'The old string keeps working this long (default 0: stops now)' }),
  })
  .openapi('RotateRuntimeTokenRequest')
const Source = z.enum(['variable', 'linked', 'direct', 'provider'])
export const ResolveRequest = z
  .strictObject({
    requirements: z
      .strictObject({
        secrets: z.array(
          z.strictObject({
            key: z.string(),
            optional: z.boolean().optional(),
            description: z.string().optional(),
          }),
        ),
      })
      .optional()
      .openapi({ description: 'Replaces the stored requirements for this request' }),
  })
  .openapi('ResolveRequest')
export const Resolved = z
  .object({
    revision: z.number().int(),
    values: z.record(z.string(), z.string()),
    sources: z.record(z.string(), Source),
  })
  .openapi('Resolved')
export const EnvironmentStatus = z
  .object({
    revision: z.number().int(),
    requirements: Requirements,
    missingRequired: z.array(z.string()),
    consumers: z.array(
      z.object({
        kind: z.enum(['user', 'runtime']),
        id: z.string(),
        name: z.string(),
        lastResolvedAt: Timestamp,
        lastResolvedRevision: z.number().int(),
        synced: z.boolean().openapi({ description: 'Its last resolve saw the current revision' }),
      }),
    ),
  })
  .openapi('EnvironmentStatus')
export const RevisionQuery = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: 'Answer as soon as the revision exceeds this (absent: at once)' }),
  waitSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(60)
    .default(30)
    .openapi({ description: 'How long to wait at most (0–60, default 30)' }),
})
export const Revision = z.object({ revision: z.number().int() }).openapi('Revision')
