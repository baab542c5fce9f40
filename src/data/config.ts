/**
 * The `data build` configuration (a JSON file; unknown keys are errors). Every field has a default,
 * so `{}` builds a small corpus of every task in both languages.
 */
import { z } from 'zod';
import { parseWith } from '../config/layers.js';
import { TASKS } from '../tasks/registry.js';

const taskSpec = z.strictObject({
  /** Training problems to generate. */
  train: z.number().int().min(0).default(2000),
  /** Held-out test problems (disjoint from training by construction). */
  test: z.number().int().min(0).default(500),
  difficulties: z.array(z.number().int()).min(1).optional(),
});

const share = z.number().min(0).default(0);

export const DataConfigSchema = z.strictObject({
  /** Output folder. */
  out: z.string().min(1).default('data'),
  seed: z.number().int().default(1),
  /** Prompt languages, used in turn. */
  languages: z
    .array(z.enum(['en', 'zh']))
    .min(1)
    .default(['en', 'zh']),
  /** Tasks by name with their sizes; default: every task with default sizes. */
  tasks: z
    .record(z.string(), taskSpec)
    .default(() => Object.fromEntries(TASKS.map((t) => [t.name, { train: 2000, test: 500 }]))),
  /** Share of corpus traces that are clean, that slip and correct themselves, and that end wrong. */
  mix: z
    .strictObject({ clean: z.number().min(0), corrected: z.number().min(0), wrong: z.number().min(0) })
    .default({ clean: 0.7, corrected: 0.2, wrong: 0.1 }),
  /**
   * Mode traces of the R1-Zero corpus (src/data/reasoning-traces.ts) for English problems of countdown's
   * search tiers (levels 4-5) and arithmetic's column level (4): shares of the solver modes, and of
   * slips caught by the final check or claimed as the answer. Other problems keep `mix`.
   */
  traces: z
    .strictObject({
      countdown: z
        .strictObject({
          quick: share,
          bounded: share,
          full: share,
          backward: share,
          optimal: share,
        })
        .default({ quick: 0, bounded: 0, full: 1, backward: 0, optimal: 0 }),
      arithmetic: z
        .strictObject({ direct: share, columns: share, checked: share })
        .default({ direct: 0, columns: 0, checked: 1 }),
      caught_slips: z.number().min(0).max(1).default(0),
      wrong_answers: z.number().min(0).max(1).default(0),
    })
    .optional(),
  /** Share of corpus documents written in R1's chat layout (BOS, User, Assistant) instead of the R1-Zero template. */
  chat_layout: z.number().min(0).max(1).default(0),
  /** Share of arithmetic corpus prompts written bare, as a user types them ("Calculate 47 + 385."). */
  bare_prompts: z.number().min(0).max(1).default(0),
  /** Questions outside the tasks (greetings, general questions), answered "I only solve arithmetic and countdown". */
  off_task: z.strictObject({ train: z.number().int().min(0), test: z.number().int().min(0) }).optional(),
  /** Fraction of training problems that also become SFT records (clean or corrected traces). */
  sft_fraction: z.number().min(0).max(1).default(0.25),
  /**
   * Tokenizer for the token shards: an existing tokenizer.json, or train one on the corpus. `digits`:
   * 'groups' pre-tokenizes digit runs in groups of 1-3 as DeepSeek-V3 does; 'single' splits every
   * digit (as Llama and Qwen do), which small models need to learn column arithmetic.
   */
  tokenizer: z
    .union([
      z.strictObject({ path: z.string().min(1) }),
      z.strictObject({
        train: z.strictObject({
          vocab_size: z.number().int().min(300),
          digits: z.enum(['groups', 'single']).default('groups'),
        }),
      }),
    ])
    .optional(),
  shard_tokens: z
    .number()
    .int()
    .min(1)
    .default(1 << 24),
});

export type DataConfig = z.infer<typeof DataConfigSchema>;

/** Validates a parsed config object; errors list each bad field by path. */
export function parseDataConfig(raw: unknown, source = 'config'): DataConfig {
  const r = { data: parseWith(DataConfigSchema, raw, source) };
  for (const name of Object.keys(r.data.tasks)) {
    if (!TASKS.some((t) => t.name === name))
      throw new Error(`${source}: tasks.${name}: unknown task; expected one of ${TASKS.map((t) => t.name).join(', ')}`);
  }
  const m = r.data.mix;
  if (m.clean + m.corrected + m.wrong <= 0)
    throw new Error(`${source}: mix must have a positive total, got ${JSON.stringify(m)}`);
  const t = r.data.traces;
  if (t) {
    for (const [name, shares] of Object.entries({ countdown: t.countdown, arithmetic: t.arithmetic }))
      if (Object.values(shares).reduce((a, b) => a + b, 0) <= 0)
        throw new Error(`${source}: traces.${name} must have a positive total, got ${JSON.stringify(shares)}`);
  }
  return r.data;
}
