// `coffer admin …`: instance administration (SPEC.md §3.1). The server checks that the caller is
// an instance admin; the password is read from a hidden prompt or stdin and never printed.
import { CofferError } from '../../domain/errors.js'
import type { CliDeps } from '../deps.js'
import { stripTrailingNewline } from '../prompt.js'

export interface CreatedUser {
  readonly id: string
  readonly username: string
  readonly isAdmin: boolean
  readonly disabled: boolean
  readonly createdAt: string
}

export interface CreateUserArgs {
  readonly username: string
  readonly passwordStdin: boolean
  readonly isAdmin: boolean
}

export async function createUser(args: CreateUserArgs, deps: CliDeps): Promise<void> {
  const api = await deps.api()
  const password = await readNewPassword(args, deps)
  const user = await api.post<CreatedUser>('/users', {
    username: args.username,
    password,
    // Sent only when asked for: unknown or unneeded fields are the server's to judge.
    ...(args.isAdmin && { isAdmin: true }),
  })
  deps.output.result(
    user,
    () =>
      `Created user ${user.username}${user.isAdmin ? ' (instance admin)' : ''}. They can log in with \`coffer login --username ${user.username}\`.`,
  )
}

async function readNewPassword(args: CreateUserArgs, deps: CliDeps): Promise<string> {
  const { prompter } = deps
  let password: string
  if (args.passwordStdin) {
    password = stripTrailingNewline((await prompter.readStdin()).toString('utf8'))
  } else {
    if (!prompter.interactive) {
      throw new CofferError('usage', 'No terminal to ask for the password: use --password-stdin')
    }
    password = await prompter.askHidden(`Password for ${args.username}: `)
    const again = await prompter.askHidden('Repeat the password: ')
    if (again !== password) {
      throw new CofferError('invalid', 'The passwords do not match; no user was created', {
        param: 'password',
      })
    }
  }
  if (password === '') throw new CofferError('usage', 'The password is empty')
  return password
}
