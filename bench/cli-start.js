// Part of `npm run bench`: the wall time of `coffer run -- true` against an environment of 50
// entries, as a ratio of `node -e 0` measured in the same run, beside dotenv-cli and dotenvx
// running the same 50 keys from a local file; and the throughput of `coffer run --mask` piping
// 100 MB, as a ratio of the same run unmasked.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const RUNS = Number(process.env.COFFER_BENCH_RUNS ?? 30)
const MASK_BYTES = 100 * 1024 * 1024
const root = join(import.meta.dirname, '..')
const coffer = join(root, 'bin', 'coffer.js')

/** Runs each command line `runs` times, interleaved (one of each per round, after 3 warm-up
 *  rounds) so that the machine's drift during the run weighs on all alike; min and median wall
 *  time in ms per label. */
function timeInterleaved(commands, env, runs = RUNS) {
  const samples = new Map(Object.keys(commands).map((label) => [label, []]))
  for (let round = 0; round < runs + 3; round += 1) {
    for (const [label, argv] of Object.entries(commands)) {
      const started = process.hrtime.bigint()
      const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] })
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (result.status !== 0) {
        throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`)
      }
      if (round >= 3) samples.get(label).push(ms)
    }
  }
  return Object.fromEntries(
    [...samples].map(([label, times]) => {
      times.sort((a, b) => a - b)
      return [label, { min: times[0], median: times[Math.floor(times.length / 2)] }]
    }),
  )
}

function report(label, figures, baseline) {
  const ratio = baseline ? `   ${(figures.median / baseline.median).toFixed(2)}x node -e 0` : ''
  console.log(
    `  ${label.padEnd(34)} min ${figures.min.toFixed(1).padStart(7)} ms   median ${figures.median.toFixed(1).padStart(7)} ms${ratio}`,
  )
}

/** Wall time of a child writing MASK_BYTES through coffer run, with or without --mask. */
function pipeThroughput(env, environment, mask) {
  const writer = `const chunk = Buffer.alloc(65536, 'abcdefghij\\n'); let left = ${MASK_BYTES}; const write = () => { while (left > 0) { left -= chunk.length; if (!process.stdout.write(chunk)) return process.stdout.once('drain', write) } }; write()`
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(
      process.execPath,
      [
        coffer,
        'run',
        '--env',
        environment,
        ...(mask ? ['--mask'] : []),
        '--',
        process.execPath,
        '-e',
        writer,
      ],
      { env, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let bytes = 0
    child.stdout.on('data', (chunk) => (bytes += chunk.length))
    child.once('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      if (code !== 0 || bytes < MASK_BYTES)
        reject(new Error(`mask run failed: ${code}, ${bytes} bytes`))
      else resolve(bytes / 1024 / 1024 / seconds)
    })
  })
}

/**
 * @param {{url: string, token: string, environment: string, entries: Record<string,string>}} target
 *   a running server with an environment of 50 entries, and a token that may resolve it
 */
export async function benchCliStart(target) {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-cli-'))
  try {
    const dotenvFile = join(dir, '.env')
    writeFileSync(
      dotenvFile,
      Object.entries(target.entries)
        .map(([name, value]) => `${name}="${value}"`)
        .join('\n'),
    )
    const manifestFile = join(dir, 'coffer.yaml')
    writeFileSync(
      manifestFile,
      `requirements:\n  secrets:\n${Object.keys(target.entries)
        .slice(0, 10)
        .map((key) => `    - key: ${key}\n`)
        .join('')}`,
    )
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      COFFER_SERVER: target.url,
      COFFER_TOKEN: target.token,
    }
    console.log(`\ncoffer run start-up (${RUNS} runs each, interleaved, 50 entries)`)
    const timed = timeInterleaved(
      {
        node: [process.execPath, '-e', '0'],
        floor: [process.execPath, join(root, 'bench', 'run-floor.cjs'), target.environment, 'true'],
        coffer: [process.execPath, coffer, 'run', '--env', target.environment, '--', 'true'],
        // As agents run it: requirements from a coffer.yaml (the YAML parser loads too).
        cofferManifest: [
          process.execPath,
          coffer,
          'run',
          '--env',
          target.environment,
          '--manifest',
          manifestFile,
          '--',
          'true',
        ],
        dotenvCli: [
          process.execPath,
          join(root, 'node_modules', 'dotenv-cli', 'cli.js'),
          '-e',
          dotenvFile,
          '--',
          'true',
        ],
      },
      env,
    )
    const baseline = timed.node
    report('node -e 0', baseline)
    report('floor: node:http resolve + spawn', timed.floor, baseline)
    const run = timed.coffer
    report('coffer run -- true', run, baseline)
    report('coffer run, coffer.yaml (10 keys)', timed.cofferManifest, baseline)
    const dotenvCli = timed.dotenvCli
    report('dotenv-cli (local file)', dotenvCli, baseline)
    // dotenvx on an encrypted copy of the same file, as its users run it.
    const dotenvx = join(root, 'node_modules', '@dotenvx', 'dotenvx', 'src', 'cli', 'dotenvx.js')
    const encrypted = spawnSync(process.execPath, [dotenvx, 'encrypt', '-f', dotenvFile], {
      env,
      cwd: dir,
      stdio: 'ignore',
    })
    const dotenvxRun =
      encrypted.status === 0
        ? timeInterleaved(
            { dotenvx: [process.execPath, dotenvx, 'run', '-f', dotenvFile, '--', 'true'] },
            env,
            Math.min(RUNS, 10),
          ).dotenvx
        : undefined
    if (dotenvxRun) report('dotenvx run (encrypted file)', dotenvxRun, baseline)
    else console.log('  dotenvx: encrypt failed, skipped')

    console.log(`\ncoffer run --mask: ${MASK_BYTES / 1024 / 1024} MB through the child's stdout`)
    const plain = await pipeThroughput(env, target.environment, false)
    const masked = await pipeThroughput(env, target.environment, true)
    console.log(
      `  unmasked ${plain.toFixed(0)} MB/s   masked ${masked.toFixed(0)} MB/s   ratio ${(masked / plain).toFixed(2)}`,
    )
    return {
      baseline,
      floor: timed.floor,
      run,
      runWithManifest: timed.cofferManifest,
      dotenvCli,
      dotenvx: dotenvxRun,
      maskRatio: masked / plain,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
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

/** A SQLite server with `admin/runbench`: 25 direct secrets and 25 variables, and a runtime token. */
export async function startBenchServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-run-'))
  const child = spawn(process.execPath, [coffer, 'server', '--port', '0'], {
    env: {
      ...process.env,
      COFFER_DATA_DIR: dataDir,
      COFFER_BOOTSTRAP_ADMIN_PASSWORD: 'bench-password',
      COFFER_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const found = /(http:\/\/\S+)/.exec(line)?.[1]
      if (found) resolve(found)
      else reject(new Error(`unexpected output: ${line}`))
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const stop = () => {
    child.kill('SIGTERM')
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    const { token } = await api(url, null, 'POST', '/api/v1/auth/login', {
      username: 'admin',
      password: 'bench-password',
    })
    await api(url, token, 'POST', '/api/v1/environments', { owner: 'admin', name: 'runbench' })
    const base = '/api/v1/environments/admin/runbench'
    const entries = {}
    for (let i = 0; i < 50; i += 1) {
      const name = `BENCH_KEY_${i}`
      const value = `value-${i}-${'z'.repeat(40)}`
      entries[name] = value
      await api(url, token, 'POST', `${base}/${i % 2 ? 'secrets' : 'variables'}`, { name, value })
    }
    const runtime = await api(url, token, 'POST', `${base}/tokens`, { name: 'bench' })
    return { url, token: runtime.token, environment: 'admin/runbench', entries, stop }
  } catch (error) {
    stop()
    throw error
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = await startBenchServer()
  try {
    await benchCliStart(target)
  } finally {
    target.stop()
  }
}
