// /docs: a reference page rendered from the same OpenAPI document the API serves, so it never
// drifts. Self-contained (no CDN), under a strict Content-Security-Policy.
import type { OpenAPIHono } from '@hono/zod-openapi'
import { html } from 'hono/html'
import type { AppEnv } from '../context.js'

const CSP =
  "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h2{margin-top:2rem;border-bottom:1px solid #d0d7de}code,pre{font:13px ui-monospace,monospace}
pre{background:#f6f8fa;padding:.75rem;overflow:auto}.op{margin:1rem 0}.m{display:inline-block;width:4.5rem;font-weight:700}
details summary{cursor:pointer}`

interface Operation {
  readonly summary?: string
  readonly tags?: string[]
  readonly requestBody?: { content?: Record<string, { schema?: unknown }> }
  readonly responses?: Record<string, { description?: string }>
}

export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  app.get('/docs/style.css', (c) => {
    c.header('Content-Security-Policy', CSP)
    return c.body(STYLE, 200, { 'Content-Type': 'text/css; charset=utf-8' })
  })
  app.get('/docs', (c) => {
    const document = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'Coffer API', version: '1' },
    })
    const byTag = new Map<string, ReturnType<typeof html>[]>()
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const method of METHODS) {
        const operation = (item as Record<string, Operation | undefined>)[method]
        if (!operation) continue
        const tag = operation.tags?.[0] ?? 'Other'
        const schema = operation.requestBody?.content?.['application/json']?.schema
        const statuses = Object.entries(operation.responses ?? {}).map(
          ([code, r]) => `${code} ${r.description ?? ''}`,
        )
        const entry = html`<div class="op">
          <div><span class="m">${method.toUpperCase()}</span><code>${path}</code></div>
          <div>${operation.summary ?? ''}</div>
          ${
            schema
              ? html`<details>
                  <summary>Request body</summary>
                  <pre>${JSON.stringify(schema, null, 2)}</pre>
                </details>`
              : ''
          }
          <details>
            <summary>Responses</summary>
            <pre>${statuses.join('\n')}</pre>
          </details>
        </div>`
        byTag.set(tag, [...(byTag.get(tag) ?? []), entry])
      }
    }
    const sections = [...byTag].map(
      ([tag, entries]) =>
        html`<h2>${tag}</h2>
          ${entries}`,
    )
    c.header('Content-Security-Policy', CSP)
    return c.html(
      html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <title>Coffer API reference</title>
            <link rel="stylesheet" href="/docs/style.css" />
          </head>
          <body>
            <h1>Coffer API reference</h1>
            <p>
              Base path <code>/api/v1</code>. Machine-readable:
              <a href="/api/v1/openapi.json">OpenAPI 3.1 document</a>. Authenticate with
              <code>Authorization: Bearer &lt;token&gt;</code>.
            </p>
            ${sections}
          </body>
        </html>`,
    )
  })
}
