// The floor under `coffer run` for `npm run bench` (bench/cli-start.js): the least a Node program
// can do for the same result: one file, no argument checks, one node:http POST …/resolve, then
// spawn the command with the values. Coffer's start-up is reported beside it; the gap is what
// Coffer's own work costs (argument parsing, manifest and credentials lookup, error handling).
'use strict'
const { request } = require('node:http')
const { spawn } = require('node:child_process')

const [environment, command, ...args] = process.argv.slice(2)
const url = `${process.env.COFFER_SERVER}/api/v1/environments/${environment}/resolve`
const headers = {
  authorization: `Bearer ${process.env.COFFER_TOKEN}`,
  'content-type': 'application/json',
}
request(url, { method: 'POST', headers }, (response) => {
  const chunks = []
  response.on('data', (chunk) => chunks.push(chunk))
  response.on('end', () => {
    const { values } = JSON.parse(Buffer.concat(chunks).toString('utf8')).data
    spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...values } }).on(
      'exit',
      (code) => (process.exitCode = code),
    )
  })
}).end('{}')
