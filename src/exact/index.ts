/** Exact references (float64): the linear-Gaussian model, 2-D quadrature, the derivation as numbers, reference KLs. */
export { type ChainCheck, type DerivationOptions, type DerivationResult, type DerivationStep, checkDerivationChain, derivationSteps, effectiveSampleSize } from './derivation';
export { type DiagonalGaussianLike, type DiagonalGaussianParameters, toVector } from './inputs';
export { aggregatePosteriorGaussianKl, klToGridPosterior, monteCarloKlToGaussian } from './kl';
export { logSumExp } from './linearAlgebra';
export { type GaussianPosterior, LinearGaussianModel } from './linearGaussian';
export { type QuadratureOptions, type QuadratureResult, quadrature2d } from './quadrature2d';
