/**
 * The tensor engine's public surface: Engine (memory, scopes, autograd), Tensor, the ops, and the
 * seeded RNG. Model and training code import from here.
 */
export { Engine, needsGrad } from './engine.js';
export { Tensor, type DType } from './tensor.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/views.js';
export * from './ops/matmul.js';
export * from './ops/fused.js';
export * from './ops/indexing.js';
export { Rng } from './rng.js';
