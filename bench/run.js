// npm run bench: throughput of Coffer's routes as a ratio of the framework's hello-world,
// measured in the same run on this machine (autocannon over loopback, 10 connections), beside
// the floor under resolve (bench/resolve-floor.js).
// Set COFFER_BENCH_DATABASE_URL (a PostgreSQL URL) to measure PostgreSQL as well.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import pg from 'pg'

const SECONDS = Number(process.env.COFFER_BENCH_SECONDS ?? 8)
const CONNECTIONS = 10
const root = join(import.meta.dirname, '..')

function start(command, args, env) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const url = /(http:\/\/\S+)/.exec(line)?.[1]
      if (url) resolve({ url, stop: () => child.kill('SIGTERM') })
      else reject(new Error(`unexpected output: ${line}\n${stderr}`))
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${stderr}`)))
  })
}

function load(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options }, (error, result) =>
      error ? reject(error) : resolve(result),
    )
  })
}

async function measure(label, options) {
  await load({ ...options, duration: 1 }) // warm-up: JIT, connection pools, caches
  const result = await load(options)
  const errors = result.errors + result.non2xx
  const line = {
    label,
    rps: Math.round(result.requests.average),
    p99ms: result.latency.p99,
    errors,
  }
  console.log(
    `  ${label.padEnd(34)} ${String(line.rps).padStart(7)} req/s   p99 ${line.p99ms} ms${errors ? `   ${errors} errors!` : ''}`,
  )
  return line
}

async function api(base, token, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()).data
}

/** Environments resolved by the bench: half direct secrets, half variables (issue #5). */
const RESOLVE_SIZES = [10, 100, 1000]

/** Creates an environment of `size` entries and a runtime token for it. */
async function environmentOf(url, token, size) {
  const name = `bench-${size}`
  await api(url, token, 'POST', '/api/v1/environments', { owner: 'admin', name })
  const base = `/api/v1/environments/admin/${name}`
  const requests = Array.from({ length: size }, (_, i) =>
    i % 2 === 0
      ? ['secrets', { name: `SECRET_${i}`, value: `secret-value-${i}-${'s'.repeat(40)}` }]
      : ['variables', { name: `VARIABLE_${i}`, value: `variable-value-${i}` }],
  )
  for (let i = 0; i < requests.length; i += 10) {
    await Promise.all(
      requests
        .slice(i, i + 10)
        .map(([kind, body]) => api(url, token, 'POST', `${base}/${kind}`, body)),
    )
  }
  const created = await api(url, token, 'POST', `${base}/tokens`, { name: 'bench' })
  return { base, runtimeToken: created.token }
}

async function benchCoffer(engine, env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'))
  const server = await start(
    process.execPath,
    [join(root, 'bin/coffer.js'), 'server', '--port', '0'],
    {
      COFFER_DATA_DIR: dataDir,
      COFFER_BOOTSTRAP_ADMIN_PASSWORD: 'bench-password',
      COFFER_LOG_LEVEL: 'warn',
      ...env,
    },
  )
  try {
    const { token } = await api(server.url, null, 'POST', '/api/v1/auth/login', {
      username: 'admin',
      password: 'bench-password',
    })
    for (let i = 0; i < 20; i += 1) {
      await api(server.url, token, 'POST', '/api/v1/secrets/', {
        name: `SEED_${i}`,
        value: `seed-value-${i}-${'x'.repeat(40)}`,
      })
    }
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    let counter = 0
    const list = await measure(`${engine}: GET /api/v1/secrets/ (20)`, {
      url: `${server.url}/api/v1/secrets/`,
      headers,
    })
    const create = await measure(`${engine}: POST /api/v1/secrets/`, {
      url: `${server.url}/api/v1/secrets/`,
      method: 'POST',
      headers,
      requests: [
        {
          setupRequest: (request) => {
            counter += 1
            return {
              ...request,
              body: JSON.stringify({
                name: `BENCH_${counter}`,
                value: `value-${counter}-${'y'.repeat(48)}`,
              }),
            }
          },
        },
      ],
    })
    const resolve = {}
    for (const size of RESOLVE_SIZES) {
      const { base, runtimeToken } = await environmentOf(server.url, token, size)
      resolve[size] = await measure(`${engine}: POST …/resolve (${size} entries)`, {
        url: `${server.url}${base}/resolve`,
        method: 'POST',
        headers: { authorization: `Bearer ${runtimeToken}`, 'content-type': 'application/json' },
        body: '{}',
      })
    }
    return { list, create, resolve }
  } finally {
    server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function main() {
  console.log(
    `Coffer bench: ${SECONDS}s per route after a 1s warm-up, ${CONNECTIONS} connections, node ${process.version}`,
  )
  const hello = await start(process.execPath, [join(root, 'bench/hello-server.js')], {})
  let baseline
  try {
    baseline = await measure('baseline: Hono hello-world', { url: hello.url })
  } finally {
    hello.stop()
  }
  // The floor under resolve (bench/resolve-floor.js): the same work on raw SQLite statements.
  const floors = {}
  for (const [label, audited] of [
    ['floor: resolve, raw SQLite + audit', '1'],
    ['floor: resolve, raw SQLite, no audit', '0'],
  ]) {
    const floor = await start(process.execPath, [join(root, 'bench/resolve-floor.js')], {
      RESOLVE_FLOOR_AUDIT: audited,
    })
    try {
      floors[label] = await measure(label, {
        url: `${floor.url}/api/v1/environments/o1/floor/resolve`,
        method: 'POST',
        headers: { authorization: 'Bearer cft_floor', 'content-type': 'application/json' },
        body: '{}',
      })
    } finally {
      floor.stop()
    }
  }
  const results = { sqlite: await benchCoffer('sqlite', {}) }
  const pgUrl = process.env.COFFER_BENCH_DATABASE_URL
  if (pgUrl) {
    const schema = `bench_${randomBytes(6).toString('hex')}`
    const url = new URL(pgUrl)
    url.searchParams.set('options', `-c search_path=${schema}`)
    try {
      results.postgres = await benchCoffer('postgres', {
        COFFER_DATABASE_URL: url.toString(),
        COFFER_MASTER_KEY: randomBytes(32).toString('base64'),
      })
    } finally {
      const client = new pg.Client({ connectionString: pgUrl })
      await client.connect()
      await client.query(`drop schema if exists ${schema} cascade`)
      await client.end()
    }
  }
  console.log('\nRatios to the hello-world baseline measured above:')
  for (const [label, floor] of Object.entries(floors)) {
    console.log(`  ${label}: ${(floor.rps / baseline.rps).toFixed(3)} (p99 ${floor.p99ms} ms)`)
  }
  for (const [engine, { list, create, resolve }] of Object.entries(results)) {
    console.log(
      `  ${engine.padEnd(9)} GET /secrets/ ${(list.rps / baseline.rps).toFixed(3)}   POST /secrets/ ${(create.rps / baseline.rps).toFixed(3)}`,
    )
    const sizes = RESOLVE_SIZES.map(
      (size) =>
        `${size}: ${(resolve[size].rps / baseline.rps).toFixed(3)} (p99 ${resolve[size].p99ms} ms)`,
    )
    console.log(`  ${engine.padEnd(9)} resolve   ${sizes.join('   ')}`)
    // Issue #5: 1,000 entries may cost at most 12x what 100 cost (req/s ratio).
    console.log(
      `  ${engine.padEnd(9)} resolve cost of 1,000 entries vs 100: ${(resolve[100].rps / resolve[1000].rps).toFixed(2)}x`,
    )
  }
}

await main()
