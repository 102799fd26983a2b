// Pure: the AI providers Coffer knows, the names each injects (SPEC.md §1.5), and what a
// connection's provider, label and base URL may be.
import { CofferError } from './errors.js'

export const PROVIDERS = ['anthropic', 'openai', 'openrouter', 'venice', 'custom'] as const
export type ProviderName = (typeof PROVIDERS)[number]
/** Providers whose base URL the server knows (configurable, never per connection). */
export type KnownProvider = Exclude<ProviderName, 'custom'>
export const KNOWN_PROVIDERS: readonly KnownProvider[] = [
  'anthropic',
  'openai',
  'openrouter',
  'venice',
]

/** The names a connection of each provider injects, and what each carries. */
export const INJECTED: Readonly<
  Record<ProviderName, readonly { readonly name: string; readonly carries: 'key' | 'baseUrl' }[]>
> = {
  anthropic: [{ name: 'ANTHROPIC_API_KEY', carries: 'key' }],
  openai: [{ name: 'OPENAI_API_KEY', carries: 'key' }],
  openrouter: [{ name: 'OPENROUTER_API_KEY', carries: 'key' }],
  venice: [{ name: 'VENICE_API_KEY', carries: 'key' }],
  custom: [
    { name: 'OPENAI_API_KEY', carries: 'key' },
    { name: 'OPENAI_BASE_URL', carries: 'baseUrl' },
  ],
}

export const injectedNames = (provider: ProviderName): string[] =>
  INJECTED[provider].map((entry) => entry.name)

/** Where the known providers answer by default; COFFER_PROVIDER_<NAME>_BASE_URL overrides. */
export const DEFAULT_BASE_URLS: Readonly<Record<KnownProvider, string>> = {
  anthropic: 'https://api.anthropic.com/v1',
  openai: 'https://api.openai.com/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  venice: 'https://api.venice.ai/api/v1',
}

export const LABEL_MAX = 100

export function parseProvider(input: string, param = 'body.provider'): ProviderName {
  if ((PROVIDERS as readonly string[]).includes(input)) return input as ProviderName
  throw new CofferError(
    'invalid',
    `Unknown provider "${input.slice(0, 40)}": use one of ${PROVIDERS.join(', ')}`,
    { param },
  )
}

export function parseLabel(input: string, param = 'body.label'): string {
  const label = input.trim()
  if (label.length === 0 || Array.from(label).length > LABEL_MAX) {
    throw new CofferError('invalid', `A label has 1 to ${LABEL_MAX} characters`, { param })
  }
  return label
}

/** An http(s) URL without credentials, query or fragment; a trailing slash is dropped so
 *  `{baseUrl}/models` has one slash. Details never echo the input: it may hold a secret. */
export function parseBaseUrl(input: string, param = 'body.baseUrl'): string {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw new CofferError('invalid', 'The base URL is not a valid absolute URL', { param })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CofferError(
      'invalid',
      `The base URL must use http or https, not ${url.protocol.slice(0, 20)}`,
      { param },
    )
  }
  if (url.username !== '' || url.password !== '') {
    throw new CofferError(
      'invalid',
      'The base URL must not contain credentials: send the key as apiKey',
      { param },
    )
  }
  if (url.search !== '' || url.hash !== '') {
    throw new CofferError('invalid', 'The base URL must not have a query or a fragment', {
      param,
    })
  }
  return url.toString().replace(/\/+$/, '')
}
