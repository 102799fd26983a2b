// Part of `npm run build`, after tsc: bundles the CLI's entry (src/cli/entry.ts) with everything
// `coffer run` needs into one CommonJS file, dist/cli/entry.cjs. One file to read and compile,
// and no ES module loader, is most of what separates `coffer run` from `node -e 0` (README,
// "Benchmarks"). What a run loads only on demand (the YAML manifest parser, the masker, the
// fallback snapshot's crypto, the full commander program for every other command) stays a dynamic
// import of tsc's output in dist/, so the bundle does not parse it on every start.
import { build } from 'esbuild'
import { dirname, join, relative, resolve } from 'node:path'

const root = join(import.meta.dirname, '..')
const outfile = join(root, 'dist', 'cli', 'entry.cjs')

/** A dynamic import of a project module becomes an import of its compiled twin in dist/. */
const loadOnDemandFromDist = {
  name: 'load-on-demand-from-dist',
  setup(builder) {
    builder.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined
      const source = resolve(args.resolveDir, args.path)
      const compiled = join(root, 'dist', relative(join(root, 'src'), source))
      const specifier = relative(dirname(outfile), compiled).replaceAll('\\', '/')
      return { path: specifier.startsWith('.') ? specifier : `./${specifier}`, external: true }
    })
  },
}

await build({
  entryPoints: [join(root, 'src', 'cli', 'entry.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The run path needs no package from node_modules; should one appear, it is loaded, not copied.
  packages: 'external',
  plugins: [loadOnDemandFromDist],
  logLevel: 'warning',
})
