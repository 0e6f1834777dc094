/**
 * Transitional path: the fused Adam optimizer is ./ops/adam.ts. This file stays only while
 * src/index.ts, src/train/train.ts and src/experiments/{classifier,summary}.ts import
 * '…/engine/adam'; delete it when they import '…/engine/ops/adam'.
 */
export * from './ops/adam';
