/** What every course notebook uses: the starter, the run mode, the exercise helpers. */
export * from './start';
export * from './exercises';
export { budget, isCiMode, notebookSeed } from '../runMode';
