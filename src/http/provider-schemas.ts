// Schemas of the AI provider routes (SPEC.md §1.5, §3.6), in their own module so that other
// areas' additions to schemas.ts do not collide with them.
import { z } from '@hono/zod-openapi'
import { Id } from './schemas.js'

const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-23T12:00:00.000Z' })
const ProviderName = z
  .string()
  .openapi({ example: 'openai', description: 'anthropic, openai, openrouter, venice or custom' })

export const ProviderConnection = z
  .object({
    id: Id,
    provider: ProviderName,
    label: z.string(),
    baseUrl: z
      .string()
      .nullable()
      .openapi({ description: 'custom only; the server configures the known providers' }),
    hint: z
      .string()
      .nullable()
      .openapi({ description: '"…" + last 4 characters when the key has ≥ 20 characters' }),
    version: z.number().int(),
    names: z
      .array(z.string())
      .openapi({ description: 'The names an attachment injects', example: ['OPENAI_API_KEY'] }),
    userId: Id.nullable(),
    teamId: Id.nullable(),
    lastTestOk: z.boolean().nullable(),
    lastTestedAt: Timestamp.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('ProviderConnection')

export const CreateProviderRequest = z
  .strictObject({
    provider: z.string().max(64).openapi({ example: 'openai' }),
    apiKey: z.string().openapi({ description: 'Write-only: never returned again' }),
    label: z.string().optional(),
    baseUrl: z.string().max(2048).optional().openapi({ description: 'Required for custom' }),
    teamId: Id.optional(),
  })
  .openapi('CreateProviderRequest')

export const UpdateProviderRequest = z
  .strictObject({
    label: z.string().optional(),
    apiKey: z.string().optional().openapi({ description: 'A new key: a new version' }),
    baseUrl: z.string().max(2048).optional().openapi({ description: 'custom only' }),
  })
  .openapi('UpdateProviderRequest')

export const ProviderTestResult = z
  .object({
    ok: z.boolean(),
    status: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The provider's HTTP status; null when unreachable" }),
    latencyMs: z.number().int(),
    details: z.string(),
  })
  .openapi('ProviderTestResult')

export const AttachedProvider = z
  .object({
    id: Id.openapi({ description: "The attachment's id" }),
    connectionId: Id,
    provider: ProviderName,
    label: z.string(),
    baseUrl: z.string().nullable(),
    hint: z.string().nullable(),
    names: z.array(z.string()),
    lastTestOk: z.boolean().nullable(),
    lastTestedAt: Timestamp.nullable(),
    updatedRevision: z.number().int(),
    synced: z.boolean().nullable(),
    createdAt: Timestamp,
  })
  .openapi('AttachedProvider')

export const AttachProviderRequest = z
  .strictObject({ connectionId: z.string().max(64) })
  .openapi('AttachProviderRequest')
