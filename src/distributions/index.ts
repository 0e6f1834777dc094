/** Distributions: q_φ(z|x) and p(z) (diagonal Gaussian), p_θ(x|z) (Bernoulli or Gaussian pixels). */
export { bernoulliLogLikelihood } from './bernoulli';
export { type DiagonalGaussian, LOG_2PI, reparameterize, sampleDiagonalGaussian } from './gaussian';
export { gaussianLogLikelihood } from './gaussianLikelihood';
