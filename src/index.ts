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

// ---- Transitional flat exports (removed once every notebook imports the namespaces) ----
export * from './stats/index';
export * from './paths';
export * from './runMode';
export * as tensorChecks from './tensorChecks';

// Compute engine: which tfjs backend runs, and why.
export * from './engine/backends/select';
export { createAdam, FusedAdamOptimizer } from './engine/ops/adam';

// Distributions: q_φ(z|x), p(z), p_θ(x|z).
export * from './distributions/gaussian';
export * from './distributions/bernoulli';
export * from './distributions/gaussianLikelihood';

// Objectives: KL, the ELBO in both forms, the importance-weighted bound L_k.
export * from './objectives/types';
export * from './objectives/kl';
export * from './objectives/elbo';
export * from './objectives/iwae';
export * from './objectives/sampleJoint';
export * from './objectives/monteCarlo';

// Exact references: linear-Gaussian model, 2-D quadrature, the derivation as numbers.
export * from './exact/inputs';
export * from './exact/linearAlgebra';
export * from './exact/linearGaussian';
export * from './exact/quadrature2d';
export * from './exact/derivation';
export * from './exact/kl';

// Data, models, training.
export * from './data/index';
export * from './models/index';
export * from './train/index';

// Display: charts, math, tables, live progress, claims.
export * from './display/mime';
export * from './display/plotly';
export * from './display/imageGrid';
export * from './display/math';
export * from './display/table';
export * from './display/live';
export * from './display/progress';
export * from './display/claims';
export * from './course/digits2d';
