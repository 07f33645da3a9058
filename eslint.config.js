// @ts-check
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'test-results/', 'playwright-report/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  // A promise nobody awaits runs after the code that depends on it (a training step's update, a
  // read before dispose): type-aware rules over the main-side TypeScript catch that.
  {
    files: ['src-main/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  // One direction of imports: core <- store <- app <- transports. The core knows nothing above it.
  {
    files: ['src-main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/store/**', '**/app/**', '**/host/**', '**/cli/**', '**/electron/**'],
              message: 'src-main/core must not import upper layers.',
            },
            {
              group: ['electron', 'better-sqlite3'],
              message: 'src-main/core is pure: no Electron, no SQLite.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/app/**', '**/host/**', '**/cli/**', '**/electron/**', 'electron'],
              message: 'src-main/store must not import upper layers.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/host/**', '**/cli/**', '**/electron/**', 'electron'],
              message: 'src-main/app must not import transports.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src-main/core/**', '**/src-main/store/**', '**/src-main/app/**', 'electron'],
              message: 'The renderer talks to the main side only through the contract (src-main/contract).',
            },
          ],
        },
      ],
    },
  },
);
