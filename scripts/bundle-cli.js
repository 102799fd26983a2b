// Part of `npm run build`, after tsc: bundles the CLI's entry (src/cli/entry.ts) with everything
// `coffer run` needs into one CommonJS file, dist/cli/entry.cjs. One file to read and compile, and
// no ES module loader, is most of what separates `coffer run` from `node -e 0` (README,
// "Benchmarks"). What a run needs only sometimes is still loaded only then, but never through the
// ES module loader (~5 ms on its own):
// - the masker and the fallback snapshot's crypto are small: bundled, evaluated on first use;
// - the YAML manifest parser carries the yaml package (about 80 files: ~25 ms to require), so it
//   is bundled on its own into dist/cli/manifest-yaml.cjs (~6 ms) and required when a manifest
//   is read;
// - built-in modules asked for on demand (node:https) are required, not imported.
// The full commander program (every other command line) stays an import of tsc's dist/cli/main.js.
import { build } from 'esbuild'
import { join, resolve } from 'node:path'

const root = join(import.meta.dirname, '..')
const out = join(root, 'dist', 'cli')
const source = (...path) => join(root, 'src', ...path)

/** Modules reached through `import()` that are loaded with a plain require() of this file. */
const REQUIRED_BUNDLES = new Map([[source('formats', 'manifest-yaml.js'), './manifest-yaml.cjs']])

const loadOnDemand = {
  name: 'load-on-demand',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined
      if (args.path.startsWith('node:')) return { path: args.path, namespace: 'require' }
      const target = resolve(args.resolveDir, args.path)
      if (target === source('cli', 'main.js')) return { path: './main.js', external: true }
      const bundle = REQUIRED_BUNDLES.get(target)
      if (bundle) return { path: bundle, namespace: 'require' }
      return undefined // bundled here, evaluated when first imported
    })
    // A stand-in module whose require() stays a require() at run time.
    builder.onLoad({ filter: /.*/, namespace: 'require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
      loader: 'js',
    }))
    builder.onResolve({ filter: /.*/, namespace: 'require' }, (args) => ({
      path: args.path,
      external: true,
    }))
  },
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
}

await build({
  ...common,
  entryPoints: [source('cli', 'entry.ts')],
  outfile: join(out, 'entry.cjs'),
  // The run path needs no package from node_modules; should one appear, it is loaded, not copied.
  packages: 'external',
  plugins: [loadOnDemand],
})

await build({
  ...common,
  entryPoints: [source('formats', 'manifest-yaml.ts')],
  outfile: join(out, 'manifest-yaml.cjs'),
})
