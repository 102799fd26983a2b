import { describe, expect, it } from 'vitest'
import { parseManifestYaml } from './manifest-yaml.js'

describe('parseManifestYaml', () => {
  it('reads a coffer.yaml', () => {
    const text = `environment: acme/support-agent      # optional here
requirements:
  secrets:
    - key: OPENAI_API_KEY
      description: For GPT-4 API calls
    - key: DATABASE_URL
      description: PostgreSQL connection string
      optional: true
`
    expect(parseManifestYaml(text, 'coffer.yaml')).toEqual({
      hasRequirements: true,
      manifest: {
        environment: 'acme/support-agent',
        secrets: [
          { key: 'OPENAI_API_KEY', description: 'For GPT-4 API calls', optional: false },
          { key: 'DATABASE_URL', description: 'PostgreSQL connection string', optional: true },
        ],
      },
    })
  })

  it('reads an inference.sh-style app.yaml and says when it has no requirements', () => {
    const app = 'name: my-app\nrequirements:\n  secrets:\n    - key: HF_TOKEN\n'
    expect(parseManifestYaml(app, 'app.yaml').manifest.secrets).toEqual([
      { key: 'HF_TOKEN', optional: false },
    ])
    expect(parseManifestYaml('name: my-app\nversion: 2\n', 'app.yaml').hasRequirements).toBe(false)
  })

  it('names the line of each invalid entry', () => {
    const text =
      'requirements:\n  secrets:\n    - key: OK_KEY\n    - key: lower\n    - description: no key\n'
    try {
      parseManifestYaml(text, 'coffer.yaml')
      expect.unreachable()
    } catch (error: any) {
      expect(error.items.map((i: any) => i.details)).toEqual([
        expect.stringMatching(
          /^coffer\.yaml line 4: requirements\.secrets\.1\.key Invalid name "lower"/,
        ),
        'coffer.yaml line 5: requirements.secrets.2.key is required and must be a string',
      ])
    }
  })

  it.each([
    ['a syntax error', 'requirements:\n  secrets: [\n', /coffer\.yaml line \d+, column \d+/],
    ['a duplicate key', 'requirements: {}\nrequirements: {}\n', /line 2/],
    ['a document over 256 KiB', `# ${'x'.repeat(300 * 1024)}\n`, /larger than 256 KiB/],
  ])('refuses %s with a clear message', (_, text, message) => {
    expect(() => parseManifestYaml(text, 'coffer.yaml')).toThrow(message)
  })

  it('survives alias bombs', () => {
    const bomb =
      'a: &a ["x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d]\n'
    expect(() => parseManifestYaml(bomb, 'app.yaml')).toThrow(
      expect.objectContaining({
        code: 'invalid',
        message: 'app.yaml expands too many YAML aliases',
      }),
    )
  })
})
