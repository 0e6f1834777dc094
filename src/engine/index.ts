/** Compute engine: which tfjs backend runs and why (backends/select), the fused Adam optimizer (ops/adam). backends/ starts tfjs backends and chooses among them; ops/ holds the tfjs ops with their gradients and the optimizer; kernels/ their wasm and native kernels. */
export { ENGINE_NAMES, type EngineInfo, type EngineName, type EngineOptions, currentEngine, initEngine } from './backends/select';
export { createAdam } from './ops/adam';
