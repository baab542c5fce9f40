/**
 * `deepseek-ts info <config.json | folder | preset>`: parameter and KV-cache accounting of a
 * DeepSeek-V3 config (src/models/deepseek-v3/params.ts), as a table or, with --json, as
 * {"total_params","active_params","mtp_params","kv_cache_bytes_per_token","mha_kv_cache_bytes_per_token"}
 * (integers, bf16 caches). Config warnings (unknown keys) go to stderr.
 */
import { createBackend, wasmThreadsAvailable } from '../../kernels/index.js';
import { intOption } from '../options.js';
import type { Command } from 'commander';
import { type DeepseekV3Config, qkHeadDim } from '../../models/deepseek-v3/config.js';
import { modelFigures, type ModelFigures } from '../../models/deepseek-v3/params.js';
import { presetNames, resolveConfig } from '../../models/deepseek-v3/presets.js';

/** The --json object: exactly these keys, in this order. */
export function infoJson(f: ModelFigures): string {
  return JSON.stringify({
    total_params: f.total_params,
    active_params: f.active_params,
    mtp_params: f.mtp_params,
    kv_cache_bytes_per_token: f.kv_cache_bytes_per_token,
    mha_kv_cache_bytes_per_token: f.mha_kv_cache_bytes_per_token,
  });
}

const int = (n: number): string => n.toLocaleString('en-US');
const billions = (n: number): string =>
  n === 0
    ? '0'
    : n >= 1e9
      ? `${(n / 1e9).toFixed(2)}B`
      : n >= 1e6
        ? `${(n / 1e6).toFixed(2)}M`
        : `${(n / 1e3).toFixed(1)}K`;

function rows(title: string, items: [string, string][]): string {
  const w = items.map(([k]) => k.length).reduce((a, b) => Math.max(a, b), -Infinity);
  return `${title}\n${items.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}

/** The human-readable report of a config's figures. */
export function infoTable(name: string, c: DeepseekV3Config, f: ModelFigures): string {
  const L = c.num_hidden_layers;
  const moeLayers = `${c.first_k_dense_replace} dense, then MoE${c.moe_layer_freq > 1 ? ` every ${c.moe_layer_freq}` : ''}`;
  const mtp =
    c.num_nextn_predict_layers > 0
      ? ` + ${c.num_nextn_predict_layers} MTP module${c.num_nextn_predict_layers > 1 ? 's' : ''}`
      : '';
  const q = c.q_lora_rank === null ? 'q_proj (no LoRA)' : `q_lora_rank ${c.q_lora_rank}`;
  const rope = c.rope_scaling
    ? `YaRN x${c.rope_scaling.factor} from ${c.rope_scaling.original_max_position_embeddings}`
    : 'none';
  const cachedValues = c.kv_lora_rank + c.qk_rope_head_dim;
  const mhaValues = c.num_attention_heads * (qkHeadDim(c) + c.v_head_dim);
  const pct = (n: number): string => `${int(n).padStart(int(f.checkpoint_params).length)}  ${billions(n)}`;
  const mtpRows: [string, string][] = [
    ['MTP activated', `${pct(f.mtp_active_params)}  (including the shared head)`],
    ['HF checkpoint holds', `${pct(f.checkpoint_params)}  (MTP layers store copies of embedding and head)`],
  ];
  return [
    rows(`${name} (${c.model_type})`, [
      ['layers', `${L} (${moeLayers})${mtp}`],
      ['hidden / vocab', `${c.hidden_size} / ${c.vocab_size}`],
      [
        'attention (MLA)',
        `${c.num_attention_heads} heads, ${q}, kv_lora_rank ${c.kv_lora_rank}, qk ${c.qk_nope_head_dim}+${c.qk_rope_head_dim}, v ${c.v_head_dim}`,
      ],
      [
        'experts',
        `${c.n_routed_experts} routed (${c.num_experts_per_tok} active, ${c.n_group} groups / ` +
          `top-${c.topk_group}) + ${c.n_shared_experts} shared, width ${c.moe_intermediate_size}`,
      ],
      ['gate', `${c.scoring_func}, ${c.topk_method}, scale ${c.routed_scaling_factor}`],
      ['RoPE scaling', rope],
    ]),
    rows('parameters', [
      ['total (main model)', pct(f.total_params)],
      ['activated per token', `${pct(f.active_params)}  (embedding excluded, output head included)`],
      ['MTP modules', `${pct(f.mtp_params)}  (without the shared embedding and head)`],
      ...(c.num_nextn_predict_layers > 0 ? mtpRows : []),
    ]),
    rows('KV cache per token (bf16)', [
      [
        'MLA latent (absorbed)',
        `${int(f.kv_cache_bytes_per_token)} bytes  (${L} layers x (${c.kv_lora_rank} + ${c.qk_rope_head_dim}) values)`,
      ],
      [
        'equivalent MHA',
        `${int(f.mha_kv_cache_bytes_per_token)} bytes  (${L} layers x ${c.num_attention_heads} heads ` +
          `x (${qkHeadDim(c)} + ${c.v_head_dim}) values, ${(mhaValues / cachedValues).toFixed(1)}x)`,
      ],
    ]),
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('info')
    .description('parameter counts and KV-cache size of a DeepSeek-V3 config, or the compute backend')
    .argument('[config]', `config.json, a checkpoint folder, or a preset (${presetNames().join(', ')})`)
    .option(
      '--json',
      'print {"total_params","active_params","mtp_params","kv_cache_bytes_per_token","mha_kv_cache_bytes_per_token"}',
    )
    .option(
      '--backend',
      'report the kernel backend this machine gets (WASM relaxed-SIMD, plain SIMD or reference) and its threads',
    )
    .option('--threads <n>', 'threads for --backend (default: all cores)', intOption('--threads'))
    .action(async (arg: string | undefined, o: { json?: boolean; backend?: boolean; threads?: number }) => {
      if (o.backend) {
        const b = await createBackend({ threads: o.threads });
        const report = {
          backend: b.name,
          threads: b.threads,
          relaxed_simd: b.name === 'wasm-relaxed-simd',
          wasm_threads: wasmThreadsAvailable(),
        };
        b.dispose();
        process.stdout.write(
          o.json
            ? `${JSON.stringify(report)}\n`
            : `backend: ${report.backend}${report.relaxed_simd ? ' (relaxed-SIMD FMA build)' : ''}\nthreads: ${report.threads}\n`,
        );
        return;
      }
      if (arg === undefined)
        throw new Error(
          `info: give a config.json path, a checkpoint folder or a preset (${presetNames().join(', ')}), or --backend`,
        );
      const { config, warnings } = await resolveConfig(arg);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      const figures = modelFigures(config);
      process.stdout.write(o.json ? `${infoJson(figures)}\n` : infoTable(arg, config, figures));
    });
}
