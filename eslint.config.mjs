// ESLint (flat config): typescript-eslint's recommended rules, floating promises caught with type
// information, and the layering rules of the house: workflow code stays deterministic (it imports
// only @temporalio/workflow, domain/ and types), activities and workflows never import web/.
// `npm run lint`; test/lint.test.ts runs the same over the repository and expects zero errors.
import tseslint from 'typescript-eslint';

/** Paths no workflow or activity may import. */
const webImports = [
  { regex: '(^|/)web(/|$)', message: 'Activities and workflows never import web/ (layers: web → services → domain/persistence).' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'test-output/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // `_`-prefixed parameters and variables are intentionally unused (Express error handlers, rest omission).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox and is replayed: only the workflow API,
    // the pure domain rules and types. Activities are reached through proxyActivities, by type only.
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          ...webImports,
          { regex: '^node:', message: 'Workflow code is deterministic: no Node.js built-ins (Temporal sandbox).' },
          { regex: '^@temporalio/(?!workflow$)', allowTypeImports: true, message: 'Workflow code imports only @temporalio/workflow (types from other @temporalio packages are fine).' },
          { regex: '(^|/)activities(/|$)', allowTypeImports: true, message: 'Workflows reach activities through proxyActivities: `import type` only.' },
          { regex: '^(?!\\./[^/]+$)(?!\\.\\./domain(/|$))(?!\\.\\./temporal/searchAttributes$)\\.{1,2}/', allowTypeImports: true, message: 'Workflow code imports only @temporalio/workflow, domain/, sibling workflow files and types (temporal/searchAttributes: pure search attribute keys).' },
          // async-mutex: promise-only (no timers), the mutex of Temporal's safe-message-handlers sample.
          { regex: '^(?!\\.|@temporalio/|node:|async-mutex$)', allowTypeImports: true, message: 'Workflow code imports only @temporalio/workflow, domain/ and types: no npm packages (async-mutex excepted).' },
        ],
        paths: [
          ...['fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'worker_threads', 'process', 'timers', 'dns', 'stream']
            .map((name) => ({ name, message: 'Workflow code is deterministic: no Node.js built-ins (Temporal sandbox).' })),
        ],
      }],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: webImports }],
    },
  },
);
