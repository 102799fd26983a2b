// Lint rules, including the layer rules of STYLE.md §3: a wrong-way import fails lint.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vitest from '@vitest/eslint-plugin'

const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
})
const group = (names, message) => ({ group: names, message })

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/web/**/*.js', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', 'bin/*.js', 'bench/*.js', 'bench/*.cjs', 'scripts/*.js'],
        },
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/consistent-type-definitions': 'off',
    },
  },
  {
    // CommonJS on purpose: the executable (bin/package.json) and the start-up floor (bin/coffer.js
    // says why).
    files: ['bin/*.js', 'bench/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        __dirname: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The floor parses the server's JSON untyped, as the least a client could do.
    files: ['bench/*.cjs'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Tests beside domain modules may use vitest and node:crypto; the modules may not.
    files: ['src/domain/**'],
    ignores: ['src/domain/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '^(?!\\./)', message: 'domain/ is pure: it imports only domain/.' }],
        },
      ],
    },
  },
  layer(
    ['src/formats/**'],
    [
      group(
        ['**/store/**', '**/crypto/**', '**/services/**', '**/http/**', '**/cli/**'],
        'formats/ parses file formats: it imports only domain/ and its parsers.',
      ),
    ],
  ),
  layer(
    ['src/crypto/**'],
    [
      group(
        ['**/store/**', '**/services/**', '**/http/**', '**/cli/**'],
        'crypto/ imports only domain/ and node:crypto.',
      ),
    ],
  ),
  layer(
    ['src/store/**'],
    [
      group(
        ['**/crypto/**', '**/services/**', '**/http/**', '**/cli/**'],
        'store/ imports only domain/ and its drivers.',
      ),
    ],
  ),
  layer(
    ['src/services/**'],
    [
      group(
        ['**/http/**', '**/cli/**', 'kysely', 'better-sqlite3', 'pg'],
        'services/ use the Store type, never drivers.',
      ),
    ],
  ),
  layer(
    ['src/http/**'],
    [
      group(
        ['**/store/**', '**/crypto/**', '**/cli/**'],
        'http/ talks to services/, never to store/ or crypto/.',
      ),
    ],
  ),
  layer(
    ['src/cli/**'],
    [
      group(
        ['**/store/**', '**/crypto/**', '**/services/**', '**/http/**'],
        'cli/ talks to the API; it may only start server.ts.',
      ),
    ],
  ),
  {
    files: ['src/cli/output.ts', 'bench/**', 'test/support/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.test.ts', '**/*.contract.ts', 'test/**'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      'vitest/no-focused-tests': 'error',
      'vitest/no-disabled-tests': 'error',
      'vitest/valid-expect': ['error', { maxArgs: 2 }],
      // Helpers named expect… (expectStatus, expectExit) assert too.
      'vitest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*'] }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly' },
    },
  },
)
