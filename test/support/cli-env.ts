// The user the `coffer env …` suites start each test with.
import { expect } from 'vitest'
import { cliRunner } from './cli.js'
import { newUser, type Api } from './http.js'

/** A fresh user with a `coffer` runner of their own and one environment, `<username>/app`. */
export async function newUserWithApp(
  api: Api,
  admin: string,
  server: { readonly url: string },
  prefix: string,
) {
  const user = await newUser(api, admin, prefix)
  const created = await api
    .as(user.token)
    .post('/api/v1/environments', { owner: user.username, name: 'app' })
  expect(created.status, created.text).toBe(201)
  const ref = `${user.username}/app`
  return { ...user, run: cliRunner(server, user.token), ref, path: `/api/v1/environments/${ref}` }
}
