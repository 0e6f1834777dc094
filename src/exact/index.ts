/** Exact references: the linear-Gaussian model, 2-D quadrature, the derivation as numbers, reference KLs. */
export * from './inputs';
export * from './linearAlgebra';
export * from './linearGaussian';
export * from './quadrature2d';
export * from './derivation';
export * from './kl';
