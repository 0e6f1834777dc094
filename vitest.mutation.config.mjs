// The tests StrykerJS runs against each mutant of the mathematical layers (npm run mutation):
// the tests of those layers and of the training objective, not the slow tool tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/distributions/**/*.test.ts',
      'test/objectives/**/*.test.ts',
      'test/exact/**/*.test.ts',
      'test/train/training.test.ts',
      'test/train/learning.test.ts',
    ],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
