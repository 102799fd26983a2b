// The use cases, built from their dependencies. HTTP routes call these and nothing below them.
import { createAccountService } from './accounts.js'
import { createAuditService } from './audit.js'
import type { ServiceDeps } from './deps.js'
import { createEntryService, createEntryWriter } from './entries.js'
import { createEnvironmentService } from './environments.js'
import { createEnvironmentsHubService } from './environmentshub.js'
import { createImportService } from './imports.js'
import { createProviderService, type ProviderOptions } from './providers.js'
import { createRequirementsService } from './requirements.js'
import { createResolveService } from './resolve.js'
import { createRevisionNotifier } from './revision-notifier.js'
import { createRuntimeTokenService } from './runtime-tokens.js'
import { createStatusService } from './status.js'
import { createSecretService } from './secrets.js'
import { createTeamService } from './teams.js'

/** Options beyond the deps: the providers' base URLs and test timeout (config.ts). */
export interface ServiceOptions {
  readonly providers?: ProviderOptions
}

export function createServices(deps: ServiceDeps, options: ServiceOptions = {}) {
  const environments = createEnvironmentService(deps)
  const entryWriter = createEntryWriter(deps, environments)
  const entries = createEntryService(deps, environments, entryWriter)
  const providers = createProviderService(deps, environments, entryWriter, options.providers)
  return {
    accounts: createAccountService(deps),
    teams: createTeamService(deps),
    secrets: createSecretService(deps),
    environments,
    entries,
    requirements: createRequirementsService(deps, environments),
    imports: createImportService(deps, environments, entryWriter),
    environmentsHub: createEnvironmentsHubService(deps, environments, entries),
    audit: createAuditService(deps),
    providers,
    // Runtime tokens, resolve, status and long polls (issue #5)
    runtimeTokens: createRuntimeTokenService(deps, environments),
    resolve: createResolveService(deps, environments, (tx, environment, ownerId) =>
      providers.resolveEntries(tx, environment, ownerId),
    ),
    status: createStatusService(deps, environments),
    revisions: createRevisionNotifier(deps.store),
    /** Readiness: the database answers and every migration is applied. */
    checkReady: () => deps.store.checkReady(),
  }
}

export type Services = ReturnType<typeof createServices>
export type { ServiceDeps } from './deps.js'
