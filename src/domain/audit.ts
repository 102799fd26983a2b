// Pure: the audit event's shape and its hash chain (SPEC.md §1 "Versions and audit").
// hash = hex(SHA-256(prevHash + canonicalJson(event without hash))); the digest comes in as a
// parameter so this module stays free of node:crypto.
import type { AuditActor } from './types.js'

export const GENESIS_HASH = '0'.repeat(64)

export type AuditOutcome = 'success' | 'failure'
export type AuditTarget = Readonly<Record<string, string | number | boolean | null | string[]>>

/** An event as stored and served, without its hash. Never holds a value. */
export interface AuditBody {
  readonly id: string
  /** 1, 2, … within the owner's chain. */
  readonly seq: number
  readonly at: string
  readonly owner: string
  readonly actor: AuditActor
  readonly action: string
  readonly target: AuditTarget
  readonly ip: string | null
  readonly requestId: string | null
  readonly outcome: AuditOutcome
}

export interface AuditEvent extends AuditBody {
  readonly hash: string
}

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json }

/** JSON with object keys sorted at every depth and no whitespace. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value as Json))
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, Json> = {}
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, Json | undefined>)[key]
      if (item !== undefined) sorted[key] = sortKeys(item)
    }
    return sorted
  }
  return value
}

export function chainHash(
  prevHash: string,
  body: AuditBody,
  sha256Hex: (text: string) => string,
): string {
  return sha256Hex(prevHash + canonicalJson(body))
}

export type ChainVerdict =
  | { readonly ok: true; readonly count: number }
  | {
      readonly ok: false
      readonly count: number
      readonly brokenAt: number
      readonly reason: string
    }

/** Replays one owner's chain, oldest first, and reports the first broken link. */
export function verifyAuditChain(
  events: readonly AuditEvent[],
  sha256Hex: (text: string) => string,
): ChainVerdict {
  const ordered = [...events].sort((a, b) => a.seq - b.seq)
  let prevHash = GENESIS_HASH
  for (const [index, event] of ordered.entries()) {
    const expectedSeq = index + 1
    if (event.seq !== expectedSeq) {
      return {
        ok: false,
        count: index,
        brokenAt: expectedSeq,
        reason: `event ${expectedSeq} is missing`,
      }
    }
    const { hash, ...body } = event
    if (chainHash(prevHash, body, sha256Hex) !== hash) {
      return {
        ok: false,
        count: index,
        brokenAt: event.seq,
        reason: `event ${event.seq} (${event.id}) does not match its hash`,
      }
    }
    prevHash = hash
  }
  return { ok: true, count: ordered.length }
}
