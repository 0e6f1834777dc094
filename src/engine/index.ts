/** Compute engine: which tfjs backend runs and why (select), the fused Adam optimizer. */
export * from './select';
export { createAdam, FusedAdamOptimizer } from './adam';
