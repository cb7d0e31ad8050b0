// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import globals from 'globals';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

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
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'multer',
              importNames: ['default'],
              message: 'Use fileUpload() from src/api/body-parsers.ts.',
            },
          ],
        },
      ],
    },
  },
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
