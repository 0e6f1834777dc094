/** Distributions: q_φ(z|x) and p(z) (Gaussian), p_θ(x|z) (Bernoulli or Gaussian pixels). */
export * from './gaussian';
export * from './bernoulli';
export * from './gaussianLikelihood';
