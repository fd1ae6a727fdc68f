import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    files: ['sim/**', 'bench/**', 'scripts/**', 'test/**'],
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
);
