/**
 * Compute engine: which tfjs backend runs and why (backends/select), the fused Adam optimizer
 * (ops/adam). Layout: backends/ starts tfjs backends and chooses among them; ops/ holds the tfjs
 * ops (with their gradients) and the optimizer the library calls; kernels/ holds their wasm and
 * native kernels; processGlobal.ts keeps the state that must survive a module evaluated twice.
 */
export * from './backends/select';
export { createAdam, FusedAdamOptimizer } from './ops/adam';
