/** Dense Qwen2 / Llama students for distillation. */
export { parseDenseConfig, readDenseConfig, writeDenseConfig, type DenseConfig } from './config.js';
export { denseTensors, denseParamCount } from './params.js';
export { DenseModel, DenseKvCache } from './model.js';
export { initDenseParams, loadDenseParams, saveDenseCheckpoint } from './checkpoint.js';
