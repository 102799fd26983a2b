// Group commit for what every resolve writes: its audit event and its consumer record (SPEC.md
// §1 "Versions and audit", "Runtime tokens and sync"). One transaction per resolve would queue
// every resolve of an owner on that owner's audit chain (a lock, a head read, a commit each);
// instead, concurrent resolves append to a queue and await one shared transaction that writes
// the whole batch. Nothing is lost and no response leaves before its event is durable: append()
// resolves only after the transaction holding the record committed.
import { sha256Hex } from '../crypto/digest.js'
import {
  GENESIS_HASH,
  chainHash,
  type AuditBody,
  type AuditOutcome,
  type AuditTarget,
} from '../domain/audit.js'
import type { Actor, OwnerRef, RequestContext } from '../domain/types.js'
import type { AuditRecord, ConsumerRecord, Store } from '../store/store.js'
import { auditActorOf } from './audit.js'
import { isoNow, type ServiceDeps } from './deps.js'

export interface JournalRecord {
  readonly owner: OwnerRef
  readonly environmentId: string
  readonly actor: Actor
  readonly action: string
  readonly target: AuditTarget
  readonly context: RequestContext
  readonly outcome: AuditOutcome
  /** The consumer's last resolve, for sync (absent when the resolve failed). */
  readonly consumer?: ConsumerRecord
}

interface Waiting {
  readonly record: JournalRecord
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

export interface ResolveJournal {
  /** Resolves once the record is committed (with whichever batch carried it). */
  append(record: JournalRecord): Promise<void>
  /** Waits for the batches in flight and queued. */
  drain(): Promise<void>
}

export function createResolveJournal(deps: ServiceDeps): ResolveJournal {
  let queue: Waiting[] = []
  let flushing: Promise<void> | undefined

  async function write(tx: Store, records: readonly JournalRecord[]): Promise<void> {
    const byOwner = new Map<string, { owner: OwnerRef; records: JournalRecord[] }>()
    for (const record of records) {
      const group = byOwner.get(record.owner.id)
      if (group) group.records.push(record)
      else byOwner.set(record.owner.id, { owner: record.owner, records: [record] })
    }
    // Owners in id order, so two batches (or a batch and a replica's) cannot lock crosswise.
    const owners = [...byOwner.values()].sort((a, b) => (a.owner.id < b.owner.id ? -1 : 1))
    const rows: AuditRecord[] = []
    for (const { owner, records: events } of owners) {
      // Security: the lock keeps two writers from both extending the same head (a forked chain).
      await tx.lockOwner(owner.id)
      const head = await tx.findAuditHead(owner.id)
      let seq = head?.seq ?? 0
      let prevHash = head?.hash ?? GENESIS_HASH
      for (const event of events) {
        seq += 1
        const body: AuditBody = {
          id: deps.newId(),
          seq,
          at: isoNow(deps),
          owner: owner.name,
          actor: auditActorOf(event.actor),
          action: event.action,
          target: event.target,
          ip: event.context.ip,
          requestId: event.context.requestId,
          outcome: event.outcome,
        }
        prevHash = chainHash(prevHash, body, sha256Hex)
        rows.push({
          id: body.id,
          ownerId: owner.id,
          seq,
          at: body.at,
          body: JSON.stringify(body),
          action: body.action,
          environmentId: event.environmentId,
          hash: prevHash,
        })
      }
    }
    // The whole batch in one statement: per-statement cost, not per-row, dominates a resolve's.
    await tx.insertAuditEvents(rows)
    // One row per consumer and batch: the newest revision it was served wins.
    const consumers = new Map<string, ConsumerRecord>()
    for (const { consumer } of records) {
      if (!consumer) continue
      const key = `${consumer.environmentId}|${consumer.kind}|${consumer.consumerId}`
      const seen = consumers.get(key)
      if (!seen || consumer.lastResolvedRevision >= seen.lastResolvedRevision)
        consumers.set(key, consumer)
    }
    for (const consumer of consumers.values()) await tx.upsertConsumer(consumer)
  }

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue
      queue = []
      try {
        await deps.store.transaction((tx) =>
          write(
            tx,
            batch.map((waiting) => waiting.record),
          ),
        )
        for (const waiting of batch) waiting.resolve()
      } catch (error) {
        if (batch.length === 1) {
          batch[0]?.reject(error)
          continue
        }
        // One bad record must not fail its neighbours: write each on its own.
        for (const waiting of batch) {
          try {
            await deps.store.transaction((tx) => write(tx, [waiting.record]))
            waiting.resolve()
          } catch (single) {
            waiting.reject(single)
          }
        }
      }
    }
  }

  function kick(): void {
    if (flushing) return
    // Start on the next turn of the event loop, not now: resolves whose reads finish in this turn
    // join the batch instead of each opening a transaction of their own.
    flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(flush).finally(() => {
      flushing = undefined
      // A record appended after the last batch began and before this ran still gets written.
      if (queue.length > 0) kick()
    })
  }

  return {
    append(record) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ record, resolve, reject })
        kick()
      })
    },
    async drain() {
      while (flushing) await flushing
    },
  }
}
