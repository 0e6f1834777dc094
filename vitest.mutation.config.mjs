// The tests StrykerJS runs against each mutant of the mathematical layers (npm run mutation):
// the tests of those layers and of the training objective, not the slow tool tests (nor the
// learning tests, which train for seconds per mutant).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/distributions/**/*.test.ts',
      'test/objectives/**/*.test.ts',
      'test/exact/**/*.test.ts',
      'test/train/training.test.ts',
    ],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
