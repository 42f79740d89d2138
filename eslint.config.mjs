import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.temporal/', '.tools/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node I/O modules. The workflow-side
    // API (src/workflow) is workflow code too: user workflows import it.
    files: ['workflows/**/*.ts', 'src/workflow/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'http', 'https', 'net', 'child_process', 'worker_threads'], message: 'Workflows must stay deterministic: do I/O in activities.' },
            { group: ['../activities/*', '!../activities/contracts'], message: 'Workflows import activity types from activities/contracts only.' },
          ],
        },
      ],
    },
  },
  {
    // Every pattern is written on the public workflow API, as users write theirs: if one needs
    // more, the API is missing it. Their pure logic lives in src/patterns.
    files: [
      'workflows/agent.ts',
      'workflows/swarm.ts',
      'workflows/parallel.ts',
      'workflows/router.ts',
      'workflows/intent-classifier.ts',
      'workflows/orchestrator.ts',
      'workflows/evaluator-optimizer.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['./*', '../activities/*'], message: 'Write composition patterns on the public workflow API (src/workflow).' },
            { group: ['node:*', 'fs', 'http', 'https', 'net', 'child_process', 'worker_threads'], message: 'Workflows must stay deterministic: do I/O in activities.' },
          ],
        },
      ],
    },
  },
);
