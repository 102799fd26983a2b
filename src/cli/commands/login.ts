// `coffer login | logout | whoami`: a personal token stored per server (SPEC.md §3.1, §4).
// Neither the password nor the token is ever printed.
import { hostname } from 'node:os'
import { CofferError, isCofferError } from '../../domain/errors.js'
import type { CliDeps } from '../deps.js'
import { formatTable } from '../output.js'
import { stripTrailingNewline } from '../prompt.js'

export interface User {
  readonly id: string
  readonly username: string
  readonly isAdmin: boolean
}

export interface Me {
  readonly user: User
  readonly teams: readonly { id: string; slug: string; name: string; role: string }[]
}

export interface LoginArgs {
  readonly username: string | undefined
  readonly passwordStdin: boolean
}

export async function login(args: LoginArgs, deps: CliDeps): Promise<void> {
  const { prompter } = deps
  const session = await deps.session()
  const api = await deps.anonymousApi()
  let username = args.username?.trim()
  let password: string
  if (args.passwordStdin) {
    if (username === undefined) {
      throw new CofferError(
        'usage',
        '--password-stdin needs --username U (stdin holds the password)',
      )
    }
    password = stripTrailingNewline((await prompter.readStdin()).toString('utf8'))
  } else {
    if (!prompter.interactive) {
      throw new CofferError(
        'usage',
        'No terminal to ask for the password: use --username U --password-stdin',
      )
    }
    username ??= (await prompter.ask(`Username for ${api.server}: `)).trim()
    password = await prompter.askHidden('Password: ')
  }
  if (username === '') throw new CofferError('usage', 'The user name is empty')
  if (password === '') throw new CofferError('usage', 'The password is empty')

  const result = await api.post<{ token: string; user: User }>('/auth/login', {
    username,
    password,
    // Names the token in `GET /tokens`, so people can tell their machines' logins apart.
    tokenName: `coffer-cli@${hostname().slice(0, 64)}`,
  })
  await deps.credentials.write({
    server: api.server,
    token: result.token,
    username: result.user.username,
  })
  // Security: with --json too, the token stays out of stdout: it lives in the credentials file.
  deps.output.result({ server: api.server, user: result.user }, () => {
    return `Logged in as ${result.user.username} on ${api.server}`
  })
  if (session.tokenSource === 'flag' || session.tokenSource === 'environment') {
    deps.output.warn(
      `${session.tokenSource === 'flag' ? '--token' : 'COFFER_TOKEN'} is set and takes precedence over this login`,
    )
  }
}

export async function logout(_args: object, deps: CliDeps): Promise<void> {
  const session = await deps.session()
  if (session.token === undefined) {
    deps.output.notice(`Not logged in to ${session.server}; nothing to do.`)
    return
  }
  try {
    await (await deps.api()).post('/auth/logout')
  } catch (error) {
    // 401: the token is already revoked or expired, which is what logging out wants.
    if (!isCofferError(error) || error.code !== 'unauthenticated') {
      if (session.tokenSource === 'credentials') {
        deps.output.notice(
          `The token could not be revoked, so the login in ${deps.credentials.path} was kept to retry. Delete that file to forget it without revoking it.`,
        )
      }
      throw error
    }
  }
  // Only the stored login is ours to forget; a --token or COFFER_TOKEN is revoked but not stored.
  if (session.tokenSource === 'credentials') await deps.credentials.remove()
  deps.output.done(`Logged out of ${session.server}`)
}

export async function whoami(_args: object, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const me = await api.get<Me>('/me')
  deps.output.result(me, () => {
    const who = `${me.user.username} on ${api.server}${me.user.isAdmin ? ' (instance admin)' : ''}`
    if (me.teams.length === 0) return `${who}\nNo teams.`
    const teams = formatTable(me.teams, [
      { header: 'TEAM', cell: (team) => team.slug },
      { header: 'NAME', cell: (team) => team.name },
      { header: 'ROLE', cell: (team) => team.role },
    ])
    return `${who}\n\n${teams}`
  })
}
