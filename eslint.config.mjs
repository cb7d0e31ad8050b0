// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import globals from 'globals';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// The layers of src/ (ARCHITECTURE.md), top to bottom: a folder imports from its own layer and the
// layers below it, never from those above. Every folder of src/ belongs to one.
const LAYERS = [
  ['api', 'web', 'live', 'worker'],
  ['services'],
  ['workflows', 'activities'],
  ['ai', 'ingestion', 'db', 'outbound', 'billing', 'temporal', 'observability', 'config'],
  ['domain', 'lib', 'client', 'types'],
];
const unlayered = readdirSync(new URL('src', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !LAYERS.flat().includes(entry.name))
  .map((entry) => entry.name);
if (unlayered.length > 0) throw new Error(`eslint.config.mjs: give src/${unlayered[0]} a layer in LAYERS.`);

/** A pattern refusing relative imports of these folders of src/ (at any depth of the importing file). */
const folders = (names, message, options = {}) => ({
  regex: `^(\\.\\./)+(${names.join('|')})(/|$)`,
  message,
  ...options,
});

const multer = {
  name: 'multer',
  importNames: ['default'],
  message: 'Use fileUpload() from src/api/body-parsers.ts.',
};

/** What each layer may not import; the exceptions are named where they are made. */
function layerPatterns(layer) {
  const index = LAYERS.findIndex((names) => names.includes(layer));
  const above = LAYERS.slice(0, index).flat();
  const message = `src/${layer} may not import from a layer above it (ARCHITECTURE.md, Layers).`;
  switch (layer) {
    case 'api':
    case 'web':
    case 'live':
      return [
        folders(['worker'], 'The API process does not load the worker.'),
        // Controllers, pages and the widget's transports query through services: from db/ they take
        // types and constants (roles, statuses), not the models.
        folders(['db'], 'Query through a service, not a model (ARCHITECTURE.md, Layers).', {
          importNamePattern: '^[A-Z][a-z]',
          allowTypeImports: true,
        }),
      ];
    case 'worker':
      return [folders(['api', 'web', 'live'], 'The worker does not load the HTTP layer.')];
    case 'services':
      // The wire format of a message and the event bus's type: types only, nothing loaded.
      return [
        folders(
          above.filter((name) => name !== 'live'),
          message,
        ),
        folders(['live'], message, { allowTypeImports: true }),
      ];
    case 'activities':
      // Activities share these services' writes and templates with the API: metering usage, starting a
      // chat turn (the sweeper), e-mails, the knowledge revision, opening and loading tickets, recording
      // webhook events and the payload a delivery sends, starting test runs after a knowledge change.
      return [
        folders(
          above.filter((name) => name !== 'services'),
          message,
        ),
        {
          regex:
            '^(\\.\\./)+services(/(?!(usage|conversations|emails|knowledge|ticket-store|webhooks|test-runs)$)|$)',
          message: `${message} Only the services shared with the worker may be imported.`,
        },
      ];
    case 'domain':
    case 'lib':
      // The row types (roles, statuses) and the configuration's type, which erase at run time.
      return [
        folders(
          above.filter((name) => name !== 'db' && name !== 'config'),
          message,
        ),
        folders(['db', 'config'], message, { allowTypeImports: true }),
      ];
    default:
      return [folders(above, message)];
  }
}

// Data access takes its Knex (or transaction) from the caller: Model.query(knex), never the
// process-wide binding (ARCHITECTURE.md, Data access).
const queryWithConnection = [
  'error',
  {
    selector: 'CallExpression[arguments.length=0][callee.property.name=/^(query|\\$query|\\$relatedQuery)$/]',
    message: 'Pass the knex or transaction: Model.query(knex).',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'coverage/',
      '.tools/',
      '.data/',
      'artifacts/',
      'src/api/generated/',
      'src/web/public/vendor/',
      // Type-checked by scripts/client-smoke.sh against the client it generates (absent here).
      'scripts/client-smoke/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Request bodies are parsed only by src/api/body-parsers.ts, whose parsers refuse values that
    // cannot be stored (NUL, lone surrogates, out-of-range numbers) with 422 and the field.
    files: ['src/**/*.ts'],
    ignores: ['src/api/body-parsers.ts', 'src/api/generated/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'express', property: 'json', message: 'Use jsonBody() from src/api/body-parsers.ts.' },
        {
          object: 'express',
          property: 'urlencoded',
          message: 'Use formBody() from src/api/body-parsers.ts.',
        },
      ],
      'no-restricted-imports': ['error', { paths: [multer] }],
      'no-restricted-syntax': queryWithConnection,
    },
  },
  // The scripts (benchmarks, eval, seed, recorders) query as the product does.
  { files: ['scripts/**/*.ts'], rules: { 'no-restricted-syntax': queryWithConnection } },
  ...LAYERS.flat()
    .filter((layer) => layer !== 'workflows')
    .map((layer) => ({
      files: [`src/${layer}/**/*.ts`],
      // body-parsers.ts is where multer is used (and the API's layer forbids only the worker).
      ignores: ['src/api/generated/**', 'src/api/body-parsers.ts'],
      rules: { 'no-restricted-imports': ['error', { paths: [multer], patterns: layerPatterns(layer) }] },
    })),
  {
    // Workflow code is replayed: it must stay deterministic, so no Node built-ins (I/O, clocks, crypto)
    // and no activity implementations — activities are reached only through proxyActivities.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflows must be deterministic: no Node built-ins.',
          })),
          patterns: [
            ...layerPatterns('workflows'),
            {
              group: ['**/activities', '**/activities/*', '!**/activities/contracts'],
              allowTypeImports: true,
              message: 'Workflows may import activities only as types (import type).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'process', message: 'Workflows must not read the environment.' },
        { name: 'fetch', message: 'Do I/O in activities.' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },

  {
    // The console's browser script (served as is, no bundler).
    files: ['src/web/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    // k6 scripts: ES modules run by k6, which provides these globals.
    files: ['loadtest/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' },
    },
  },
);
