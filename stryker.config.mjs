// StrykerJS over the mathematical layers (npm run mutation; not part of npm test: it is slow).
// Every mutant of distributions/, objectives/, exact/ and the training objective is run against
// the tests of those layers (vitest.mutation.config.mjs); a mutant no test kills is a formula
// that could change without any test noticing. The notebook-level mode (a fixed list of
// one-line breakages, each run through the notebook that must catch it) is scripts/mutation.js.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.mjs', related: true },
  mutate: [
    'src/distributions/**/*.ts',
    'src/objectives/**/*.ts',
    'src/exact/**/*.ts',
    'src/train/objective.ts',
    '!src/**/index.ts',
  ],
  // Argument checks and their messages are not the mathematics: leave string literals alone.
  mutator: { excludedMutations: ['StringLiteral'] },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Added to 1.5 × a mutant's covering tests' own time: an endless loop costs this much per mutant.
  timeoutMS: 15_000,
  ignorePatterns: ['build', 'dist', 'native/build', 'data/cache', '.cache', '.jupyter', 'notebooks', 'bench', 'release'],
  tempDirName: 'build/stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'build/mutation/report.json' },
  htmlReporter: { fileName: 'build/mutation/report.html' },
  thresholds: { high: 80, low: 60, break: null },
};
