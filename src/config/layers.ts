/**
 * The one config layer of every command that takes a config file (pretrain, sft, grpo, r1-zero,
 * experiment, data, distill, pipeline): a zod schema is the single source of truth for each key
 * (its type, its default, its doc string, which is also the key's `--help` text), and a run's
 * settings are layers merged in order, later wins: defaults < config file < flags.
 * - `readConfigFile`: a JSON or YAML file (JSON is YAML) holding an object of keys;
 * - `addSchemaOptions` / `flagLayer`: one `--kebab-name <value>` flag per key, parsed by the key's
 *   type (numbers, booleans, JSON objects and arrays), so every command reads flags the same way;
 * - `resolveLayers`: merge + validate; unknown keys and bad values are errors naming the key;
 * - `formatZodError`: the one message format of every config error;
 * - `argsSchema`: a schema's keys as optional overrides without defaults (for stage `args`, which
 *   sit over a stage's own defaults and are checked when the recipe is parsed).
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export type Layer = Record<string, unknown>;
type Shape = Record<string, z.ZodType>;

/** "where: what is wrong" lines of a zod error, under "<source> is invalid:". */
export function formatZodError(error: z.ZodError, source: string, keys?: readonly string[]): string {
  const lines = error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
  return `${source} is invalid:\n${lines.join('\n')}${keys ? `\n(keys: ${keys.join(', ')})` : ''}`;
}

/** Validates `raw` with `schema`; a failure throws the formatted error. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  source: string,
  keys?: readonly string[],
): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new Error(formatZodError(r.error, source, keys));
  return r.data;
}

/** Merges layers in order (later wins; undefined values do not override). */
export function mergeLayers(layers: readonly Layer[]): Layer {
  const merged: Layer = {};
  for (const l of layers) for (const [k, v] of Object.entries(l)) if (v !== undefined) merged[k] = v;
  return merged;
}

/** Merges and validates layers; errors name each bad key and list the valid ones. */
export function resolveLayers<S extends z.ZodObject<Shape>>(
  schema: S,
  layers: readonly Layer[],
  source: string,
): z.infer<S> {
  return parseWith(schema, mergeLayers(layers), source, Object.keys(schema.shape));
}

/** A JSON or YAML config file as a layer (an object of keys); undefined path: no layer. `who` reads it (a command, a flag). */
export function readConfigFile(path: string | undefined, who: string): Layer {
  if (!path) return {};
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'), { merge: true });
  } catch (err) {
    throw new Error(`${who}: cannot read config ${path} as JSON or YAML: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${who}: config ${path} must hold an object of config keys`);
  return raw as Layer;
}

export const flagName = (key: string): string => `--${key.replace(/_/g, '-')}`;
const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The schema type under `.default()` / `.optional()` wrappers, and the first description found. */
function inner(field: z.ZodType): { type: string; description?: string } {
  let t = field as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  let description = t.description;
  while ((t.def.type === 'default' || t.def.type === 'optional') && t.def.innerType) {
    t = t.def.innerType as typeof t;
    description ??= t.description;
  }
  return { type: t.def.type, ...(description ? { description } : {}) };
}

/** The doc string of a key (what --help prints for its flag). */
export function describeKey(schema: z.ZodObject<Shape>, key: string): string {
  return inner(schema.shape[key]!).description ?? key;
}

/**
 * Where `--resume` points: its value; for a bare `--resume`, the output_dir of the merged layers
 * (else the schema's default); undefined without the flag. pretrain, sft and grpo share it.
 */
export function resumeTarget(
  resume: unknown,
  schema: z.ZodObject<Shape>,
  layers: readonly Layer[],
): string | undefined {
  if (typeof resume === 'string') return resume;
  if (resume !== true) return undefined;
  const field = schema.shape.output_dir as (z.ZodType & { def: { defaultValue?: unknown } }) | undefined;
  const out = mergeLayers(layers).output_dir ?? field?.def.defaultValue;
  if (typeof out !== 'string') throw new Error('--resume: no output_dir to resume from; pass --resume <path>');
  return out;
}

/** Adds one `--kebab-name <value>` flag per schema key (except `skip`), its help the key's doc string. */
export function addSchemaOptions(cmd: Command, schema: z.ZodObject<Shape>, skip: readonly string[] = []): Command {
  for (const key of Object.keys(schema.shape)) {
    if (skip.includes(key)) continue;
    cmd.addOption(new Option(`${flagName(key)} <value>`, describeKey(schema, key)));
  }
  return cmd;
}

/** Parses one flag value by its key's type: numbers, booleans, JSON objects and arrays; zod checks the result. */
function flagValue(type: string, key: string, v: string): unknown {
  const t = v.trim();
  if (type === 'number') return t !== '' && Number.isFinite(Number(t)) ? Number(t) : v;
  if (type === 'boolean') return t === 'true' ? true : t === 'false' ? false : v;
  if (type === 'record' || type === 'object' || type === 'array' || type === 'union') {
    if (!t.startsWith('{') && !t.startsWith('[')) return v;
    try {
      return JSON.parse(t);
    } catch {
      throw new Error(`${flagName(key)}: ${JSON.stringify(v)} is not valid JSON`);
    }
  }
  return v;
}

/** The flags commander parsed (camelCase keys) as a layer of schema keys. */
export function flagLayer(schema: z.ZodObject<Shape>, opts: Record<string, unknown>): Layer {
  const out: Layer = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const v = opts[camel(key)];
    if (typeof v === 'string') out[key] = flagValue(inner(field).type, key, v);
  }
  return out;
}

/**
 * The keys of `schema` as a strict object of optional overrides with no defaults: what stage
 * `args` may hold. Unknown keys and bad values fail when the recipe is parsed, defaults stay the
 * stage's own, and a missing key stays missing.
 */
export function argsSchema(schema: z.ZodObject<Shape>) {
  const shape: Shape = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    let t = field as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
    while ((t.def.type === 'default' || t.def.type === 'optional') && t.def.innerType) t = t.def.innerType as typeof t;
    shape[key] = t.optional();
  }
  return z.strictObject(shape);
}
