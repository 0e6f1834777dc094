/**
 * Transitional path: engine selection is ./backends/select.ts. This file stays only while
 * src/index.ts and src/notebook/start.ts import '…/engine/select'; delete it when they import
 * '…/engine/backends/select'.
 */
export * from './backends/select';
