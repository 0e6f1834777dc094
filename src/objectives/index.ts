/** Objectives: the KL term, the ELBO in both forms, the importance-weighted bound L_k. */
export * from './types';
export * from './kl';
export * from './elbo';
export * from './iwae';
export * from './sampleJoint';
export * from './monteCarlo';
