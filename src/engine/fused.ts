/**
 * Transitional path: the fused training ops are ./ops/vaeStep.ts. This file stays only while
 * src/train/objective.ts imports '../engine/fused'; delete it when it imports
 * '../engine/ops/vaeStep'.
 */
export * from './ops/vaeStep';
