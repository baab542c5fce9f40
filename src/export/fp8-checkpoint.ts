/**
 * Quantising a float checkpoint into DeepSeek's published FP8 layout, with the round-trip error.
 *
 * Which tensors: the 2-D linear weights of attention, dense MLPs, routed and shared experts
 * (what DeepSeek's FP8 release stores as E4M3 with `weight_scale_inv`); the embedding, output
 * head, router gate, norms, biases and the MTP `eh_proj` stay in their float dtype, as the V3 paper
 * (3.3) keeps them in high precision. Roles come from models/deepseek-v3/params.ts.
 */
import { toFloat32 } from '../io/dtypes.js';
import type { StoredTensor } from '../io/safetensors.js';
import type { DeepseekV3Config, Fp8QuantizationConfig } from '../models/deepseek-v3/config.js';
import { checkpointTensors, type TensorRole } from '../models/deepseek-v3/params.js';
import type { DenseConfig } from '../models/qwen2/config.js';
import { denseTensors } from '../models/qwen2/params.js';
import { SCALE_SUFFIX } from './checkpoint.js';
import { dequantizeFp8Blocks, quantizeFp8Blocks } from './fp8-blocks.js';

/** The quantization_config entry DeepSeek-V3 ships in config.json. */
export const DEEPSEEK_FP8_CONFIG: Fp8QuantizationConfig = Object.freeze({
  quant_method: 'fp8',
  fmt: 'e4m3',
  activation_scheme: 'dynamic',
  weight_block_size: [128, 128] as const,
});

const FP8_ROLES: ReadonlySet<TensorRole> = new Set(['attention', 'dense_mlp', 'routed_expert', 'shared_expert']);

/** Round-trip error of an FP8 quantisation, over the quantised tensors only. */
export interface Fp8Report {
  readonly quantized: number;
  /** Largest |w - dequant(quant(w))| over every quantised element. */
  readonly maxAbsError: number;
  /** Largest per-tensor max error divided by that tensor's max |w|. */
  readonly maxRelError: number;
  /** sqrt(sum err^2 / sum w^2) over all quantised elements. */
  readonly rmsRelError: number;
  /** Bytes of the quantised weights before (float) and after (E4M3 + scales). */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/** Names of the tensors of `config` that the FP8 layout quantises. */
export function fp8TensorNames(config: DeepseekV3Config): Set<string> {
  return new Set(
    checkpointTensors(config)
      .filter((s) => FP8_ROLES.has(s.role) && s.shape.length === 2)
      .map((s) => s.name),
  );
}

/** The FP8 targets of a dense student: its linear layers (not the embedding, head, norms or biases). */
export function denseFp8TensorNames(config: DenseConfig): Set<string> {
  return new Set(
    denseTensors(config)
      .filter((s) => s.role === 'linear')
      .map((s) => s.name),
  );
}

/**
 * Returns the checkpoint's tensors with the FP8 targets (names in `targets`) replaced by E4M3
 * `weight` plus float32 `weight_scale_inv`, and the round-trip error of that quantisation.
 */
export function quantizeCheckpointFp8(
  targets: ReadonlySet<string>,
  tensors: ReadonlyMap<string, StoredTensor>,
  block: readonly [number, number] = [128, 128],
): { tensors: Map<string, StoredTensor>; report: Fp8Report } {
  const out = new Map<string, StoredTensor>();
  let quantized = 0,
    maxAbs = 0,
    maxRel = 0,
    errSq = 0,
    refSq = 0,
    before = 0,
    after = 0;
  for (const [name, t] of tensors) {
    if (!targets.has(name)) {
      out.set(name, t);
      continue;
    }
    const [rows, cols] = t.shape as [number, number];
    const values = toFloat32(t.dtype, t.data);
    const q = quantizeFp8Blocks(values, rows, cols, block);
    const back = dequantizeFp8Blocks(q.weight, q.scaleInv, rows, cols, block, name);
    let tMaxErr = 0,
      tMax = 0;
    for (let i = 0; i < values.length; i++) {
      const e = Math.abs(values[i]! - back[i]!);
      tMaxErr = Math.max(tMaxErr, e);
      tMax = Math.max(tMax, Math.abs(values[i]!));
      errSq += e * e;
      refSq += values[i]! * values[i]!;
    }
    maxAbs = Math.max(maxAbs, tMaxErr);
    if (tMax > 0) maxRel = Math.max(maxRel, tMaxErr / tMax);
    out.set(name, { dtype: 'F8_E4M3', shape: [rows, cols], data: q.weight });
    out.set(name + SCALE_SUFFIX, { dtype: 'F32', shape: [...q.scaleShape], data: q.scaleInv });
    before += t.data.byteLength;
    after += q.weight.byteLength + q.scaleInv.byteLength;
    quantized++;
  }
  const report = {
    quantized,
    maxAbsError: maxAbs,
    maxRelError: maxRel,
    rmsRelError: refSq > 0 ? Math.sqrt(errSq / refSq) : 0,
    bytesBefore: before,
    bytesAfter: after,
  };
  return { tensors: out, report };
}
