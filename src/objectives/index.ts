/** Objectives: the KL term, the ELBO in both forms, the importance-weighted bound L_k, Monte Carlo helpers. */
export { estimateElbo } from './elbo';
export { type ImportanceWeightedEstimate, importanceWeightedBound } from './iwae';
export { klDiagonalGaussians, klToStandardNormal, klToStandardNormalPerDimension } from './kl';
export { logMeanExp, logMeanExpStandardError } from './monteCarlo';
export { checkGenerativeModel, logWeightsOf, sampleJoint } from './sampleJoint';
export { type ElboBatchMean, type ElboEstimate, type GenerativeModel, type InferenceModel } from './types';
