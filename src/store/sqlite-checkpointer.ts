// SQLite's WAL checkpoint, moved off the event loop. By default (wal_autocheckpoint = 1000 pages)
// the commit that crosses the threshold also copies the WAL into the database file and fsyncs
// both, inside that commit, on the thread that serves every request: under resolve load 50 of
// ~4,000 commits took ~5 ms each, more than half of all commit time and the whole of the p99.
// So the server's connection never checkpoints; a worker thread with a connection of its own
// runs a PASSIVE checkpoint every interval. PASSIVE never waits for readers or the writer, and
// SQLite restarts the WAL from its start once a checkpoint has caught up, so the file stays as
// large as one interval's writes.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export interface Checkpointer {
  /** Stops the worker and closes its connection; the server's connection, closed last, then
   *  checkpoints what is left and removes the WAL, as SQLite does for its last connection. */
  stop(): Promise<void>
}

export const CHECKPOINT_INTERVAL_MS = 250

// The worker's code as a CommonJS string: one file that runs the same from src/ under the test
// runner and from dist/, without a build step of its own. It needs only the driver, by path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { fileMustExist: true })
db.pragma('synchronous = NORMAL')
let failures = 0
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch (error) {
    // Tell the server once; a busy or failing checkpoint is retried on the next tick.
    if (failures++ === 0) parentPort.postMessage({ failed: String(error && error.message) })
  }
}, workerData.intervalMs)
parentPort.on('message', (message) => {
  if (message !== 'stop') return
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

export function startCheckpointer(
  path: string,
  options: { intervalMs?: number; onFailure?: (message: string) => void } = {},
): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
    },
  })
  // A forgotten stop() must not keep the process alive.
  worker.unref()
  worker.on('message', (message: { failed?: string }) => {
    if (message.failed !== undefined) options.onFailure?.(message.failed)
  })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.once('error', (error) => options.onFailure?.(error.message))
  let stopping: Promise<void> | undefined
  return {
    stop: () =>
      (stopping ??= (async () => {
        // Referenced again while it stops: with nothing else pending, an unreferenced worker's
        // exit would not keep the process alive until it arrives (the process would end first).
        worker.ref()
        worker.postMessage('stop')
        await exited
      })()),
  }
}
