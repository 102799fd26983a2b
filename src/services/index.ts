// The use cases, built from their dependencies. HTTP routes call these and nothing below them.
import { createAccountService } from './accounts.js'
import { createAuditService } from './audit.js'
import type { ServiceDeps } from './deps.js'
import { createEntryService } from './entries.js'
import { createEnvironmentService } from './environments.js'
import { createResolveService } from './resolve.js'
import { createRevisionNotifier } from './revision-notifier.js'
import { createRuntimeTokenService } from './runtime-tokens.js'
import { createStatusService } from './status.js'
import { createSecretService } from './secrets.js'
import { createTeamService } from './teams.js'

export function createServices(deps: ServiceDeps) {
  const environments = createEnvironmentService(deps)
  return {
    accounts: createAccountService(deps),
    teams: createTeamService(deps),
    secrets: createSecretService(deps),
    environments,
    entries: createEntryService(deps, environments),
    audit: createAuditService(deps),
    // Runtime tokens, resolve, status and long polls (issue #5)
    runtimeTokens: createRuntimeTokenService(deps, environments),
    resolve: createResolveService(deps, environments),
    status: createStatusService(deps, environments),
    revisions: createRevisionNotifier(deps.store),
    /** Readiness: the database answers and every migration is applied. */
    checkReady: () => deps.store.checkReady(),
  }
}

export type Services = ReturnType<typeof createServices>
export type { ServiceDeps } from './deps.js'
