// Entry point of the kernel module: every job is run(kernel, tid, nt) on each participating thread
// with its arguments already in the argument area (see args.ts). Kernel ids mirror
// src/kernels/wasm/layout.ts (Kernel).
import { setBases } from './args';
import { gemmJob } from './gemm';
import { adamwJob, axpyJob, binaryScalarJob, fillJob, swigluBwdJob, swigluJob, unaryJob } from './elementwise';
import { binaryJob, copyJob, whereJob } from './strided';
import {
  crossEntropyBwdJob, crossEntropyJob, reduceJob, rmsnormBwdJob, rmsnormJob, softmaxBwdJob, softmaxJob,
  sumSquaresJob,
} from './rows';
import { attentionBwdJob, attentionJob } from './attention';
import { gatherJob, indexAddJob, indexSelectJob, scatterAddJob } from './index-ops';
import { cumsumJob, topkJob } from './select';
import { qmatmulJob, qrowsJob } from './qmatmul';

/** End of this module's static data: the host places its control block and scratch above it. */
export function staticEnd(): usize { return __heap_base; }

/** Sets this instance's control-block and scratch bases (called once per instance). */
export function setup(ctrl: usize, scratchBase: usize, scratchStride: usize): void {
  setBases(ctrl, scratchBase, scratchStride);
}

/** 1 when this build uses relaxed-SIMD FMA. */
export function relaxed(): i32 { return ASC_FEATURE_RELAXED_SIMD ? 1 : 0; }

export function run(kernel: i32, tid: i32, nt: i32): void {
  switch (kernel) {
    case 0: gemmJob(tid, nt); break;
    case 1: unaryJob(tid, nt); break;
    case 2: binaryScalarJob(tid, nt); break;
    case 3: binaryJob(tid, nt); break;
    case 4: whereJob(tid, nt); break;
    case 5: copyJob(tid, nt); break;
    case 6: fillJob(tid, nt); break;
    case 7: axpyJob(tid, nt); break;
    case 8: reduceJob(tid, nt); break;
    case 9: sumSquaresJob(tid, nt); break;
    case 10: softmaxJob(tid, nt); break;
    case 11: softmaxBwdJob(tid, nt); break;
    case 12: rmsnormJob(tid, nt); break;
    case 13: rmsnormBwdJob(tid, nt); break;
    case 14: crossEntropyJob(tid, nt); break;
    case 15: crossEntropyBwdJob(tid, nt); break;
    case 16: swigluJob(tid, nt); break;
    case 17: swigluBwdJob(tid, nt); break;
    case 18: attentionJob(tid, nt); break;
    case 19: attentionBwdJob(tid, nt); break;
    case 20: indexSelectJob(tid, nt); break;
    case 21: indexAddJob(tid, nt); break;
    case 22: gatherJob(tid, nt); break;
    case 23: scatterAddJob(tid, nt); break;
    case 24: adamwJob(tid, nt); break;
    case 25: topkJob(tid, nt); break;
    case 26: cumsumJob(tid, nt); break;
    case 27: qmatmulJob(tid, nt); break;
    case 28: qrowsJob(tid, nt); break;
    default: break;
  }
}
