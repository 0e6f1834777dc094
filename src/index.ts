/**
 * ELBO Lab's public API: what the notebooks import (`import { notebook, display, ... } from
 * 'elbo-lab'`, the package built from src/ into dist/ by kernel/library.js). One namespace per
 * layer of the library, bottom to top, then the course (one module per notebook).
 * Each module's doc comments carry the equation of the course text it computes.
 */
export { Random } from './random';
export * as stats from './stats/index';
export * as engine from './engine/index';
export * as distributions from './distributions/index';
export * as objectives from './objectives/index';
export * as exact from './exact/index';
export * as data from './data/index';
export * as models from './models/index';
export * as train from './train/index';
export * as display from './display/index';
export * as notebook from './notebook/index';
export * as course from './course/index';
