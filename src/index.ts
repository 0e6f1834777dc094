/**
 * ELBO Lab's public API: what the notebooks import (`import { ... } from './src'`).
 * Each module's doc comments carry the equation of the course text it computes.
 */
export * from './random';
export * from './paths';

// Compute engine: which tfjs backend runs, and why.
export * from './engine/select';

// Distributions and objectives (src/distributions, src/objectives).
export * from './distributions/gaussian';
export * from './distributions/bernoulli';
export * from './distributions/gaussianLikelihood';
export * from './objectives/types';
export * from './objectives/kl';

// Data, models, training.
export * from './data/matrix';
export * from './data/mnist';
export * from './data/fashionMnist';
export * from './data/synthetic';
export * from './data/split';
export * from './data/binarize';
export * from './models/vae';
export * from './train/train';
export * from './train/metrics';
export * from './train/progress';
export * from './train/schedules';

// Display: charts, math, tables, live progress, claims.
export * from './display/mime';
export * from './display/plotly';
export * from './display/math';
export * from './display/table';
export * from './display/live';
export * from './display/progress';
export * from './display/claims';
