// The floor under resolve for `npm run bench`: the least a server can do for the same answer with
// the same guarantees, on the same framework and adapter. Hono on @hono/node-server; raw
// better-sqlite3 statements prepared once (no query builder, no schema validation, no logging);
// per request: the token's SHA-256 and lookup, the environment's row, one AES-256-GCM
// decryption of a 100-entry snapshot, and a hash-chained audit row committed (group commit per
// event-loop turn) before the answer. Set RESOLVE_FLOOR_AUDIT=0 to leave the audit row out.
// Prints its URL as the first line.
import { Buffer } from 'node:buffer'
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate } from 'node:timers'
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { Hono } from 'hono'

const audited = process.env.RESOLVE_FLOOR_AUDIT !== '0'
const dir = mkdtempSync(join(tmpdir(), 'coffer-resolve-floor-'))
const db = new Database(join(dir, 'floor.sqlite'))
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.exec(`
  create table tokens (id text primary key, hash text unique, environment_id text);
  create table environments (id text primary key, owner_id text, name text, revision integer,
    unique (owner_id, name));
  create table audit (id text primary key, owner_id text, seq integer, at text, body text,
    hash text, unique (owner_id, seq));`)
const sha256 = (text) => createHash('sha256').update(text).digest('hex')
db.prepare('insert into tokens values (?, ?, ?)').run('t1', sha256('cft_floor'), 'e1')
db.prepare('insert into environments values (?, ?, ?, ?)').run('e1', 'o1', 'floor', 1)

const key = randomBytes(32)
const iv = randomBytes(12)
const values = {}
const sources = {}
for (let i = 0; i < 100; i += 1) {
  values[`KEY_${i}`] = `value-${i}-${'s'.repeat(40)}`
  sources[`KEY_${i}`] = i % 2 ? 'variable' : 'direct'
}
const cipher = createCipheriv('aes-256-gcm', key, iv)
const sealed = Buffer.concat([cipher.update(JSON.stringify({ values, sources })), cipher.final()])
const tag = cipher.getAuthTag()

const findToken = db.prepare('select * from tokens where hash = ?')
const findEnvironment = db.prepare('select * from environments where owner_id = ? and name = ?')
const auditHead = db.prepare(
  'select seq, hash from audit where owner_id = ? order by seq desc limit 1',
)
const insertAudit = db.prepare('insert into audit values (?, ?, ?, ?, ?, ?)')
const writeBatch = db.transaction((batch) => {
  const head = auditHead.get('o1')
  let seq = head?.seq ?? 0
  let hash = head?.hash ?? ''
  for (const body of batch) {
    seq += 1
    const text = JSON.stringify(body)
    hash = sha256(hash + text)
    insertAudit.run(
      randomBytes(12).toString('hex'),
      'o1',
      seq,
      new Date().toISOString(),
      text,
      hash,
    )
  }
})
let queue = []
function audit(body) {
  return new Promise((resolve) => {
    if (queue.length === 0) {
      setImmediate(() => {
        const batch = queue
        queue = []
        writeBatch(batch.map((waiting) => waiting.body))
        for (const waiting of batch) waiting.resolve()
      })
    }
    queue.push({ body, resolve })
  })
}

const app = new Hono()
app.post('/api/v1/environments/:owner/:env/resolve', async (c) => {
  const incoming = c.env.incoming
  const chunks = []
  await new Promise((resolve) =>
    incoming.on('data', (chunk) => chunks.push(chunk)).on('end', resolve),
  )
  JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
  const token = findToken.get(sha256((c.req.header('authorization') ?? '').slice(7)))
  if (!token) return c.json({ detail: 'unauthenticated' }, 401)
  const environment = findEnvironment.get('o1', c.req.param('env'))
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAuthTag(tag)
  const plain = Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8')
  if (audited)
    await audit({ action: 'env.resolve', environment: environment.id, names: Object.keys(values) })
  c.header('cache-control', 'no-store')
  c.header('content-type', 'application/json')
  return c.body(`{"data":{"revision":${environment.revision},${plain.slice(1, -1)}}}`)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening on http://127.0.0.1:${info.port}\n`)
})
process.on('SIGTERM', () => {
  server.close(() =>
    // After an audit batch still queued for this turn of the event loop.
    setImmediate(() => {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    }),
  )
  server.closeAllConnections()
})
