// The tests StrykerJS runs against each mutant of the mathematical layers (npm run mutation):
// the tests of those layers and of the training objective, not the slow tool tests (nor the
// learning tests, which train for seconds per mutant).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // `node scripts/mutation.js --own-tests` names one test file here (a unit's first pass).
    include: process.env.ELBO_LAB_MUTATION_TESTS ? [process.env.ELBO_LAB_MUTATION_TESTS] : [
      'test/distributions/**/*.test.ts',
      'test/objectives/**/*.test.ts',
      'test/exact/**/*.test.ts',
      'test/train/training.test.ts',
    ],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    // One module graph for all test files of a mutant run (tfjs and its backends load once); StrykerJS
    // switches mutants at run time, so only static mutants (module-level constants) could read stale.
    isolate: false,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
