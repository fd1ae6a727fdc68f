import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Forbids imports of the given folders of src/ (by relative path from a sibling folder). */
const noImportsOf = (folders, message) => ({
  group: folders.flatMap((f) => [`../${f}`, `../${f}/*`]),
  message,
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-output/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // Command-line tools (simulator, demo, bench) print to the terminal by design.
    files: ['sim/**', 'devkit/**', 'bench/**', 'scripts/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The domain rules are pure: no I/O, no clock, nothing of ours outside the domain.
    files: ['src/domain/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'ioredis',
                'bullmq',
                'express',
                '@seamapi/*',
                'node:*',
                'pino*',
                'nodemailer',
                'svix',
              ],
              message: 'src/domain is pure: no I/O libraries.',
            },
            {
              group: [
                '../http/*',
                '../store/*',
                '../seam/*',
                '../queues/*',
                '../notify/*',
                '../flows/*',
                '../../*',
              ],
              message: 'src/domain depends on nothing outside itself.',
            },
          ],
        },
      ],
    },
  },
  {
    // src/ is the service's parts; the worker adapters (workers/) and the composition root
    // (app/) are built on it, never the other way round.
    files: ['src/**'],
    ignores: ['src/domain/**', 'src/store/**', 'src/queues/**', 'src/flows/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../workers/*', '../../workers/*', '../app/*', '../../app/*'],
              message: 'src/ never imports from workers/ or app/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Storage and queues sit just above the domain: they know Redis and BullMQ, never the
    // flows that use them, the HTTP edge, Seam or the senders.
    files: ['src/store/**', 'src/queues/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noImportsOf(
              ['http', 'flows', 'seam', 'notify', 'observability', 'process'],
              'store/ and queues/ depend only on domain/, redis/ and util/.',
            ),
            { group: ['../../*'], message: 'src/ never imports from workers/, sim/ or test/.' },
          ],
        },
      ],
    },
  },
  {
    // A flow is one use case over the ports below it; the edges (HTTP, workers) call flows.
    files: ['src/flows/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noImportsOf(['http', 'observability', 'process'], 'flows/ never import the HTTP edge.'),
            { group: ['../../*'], message: 'src/ never imports from workers/, sim/ or test/.' },
          ],
        },
      ],
    },
  },
);
