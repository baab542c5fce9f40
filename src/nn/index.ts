/** Neural-network building blocks shared by the models and the training loops. */
export { AdamW, type AdamWOptions } from './adamw.js';
export { clipGradNorm } from './clip.js';
export { linear } from './linear.js';
export { learningRate, type ScheduleOptions } from './schedule.js';
export { fakeQuantize, fp8Linear, roundE4M3, FP8_TILE } from './fp8.js';
