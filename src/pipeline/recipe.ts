/**
 * The recipes that ship in recipes/ (r1-zero.yaml, r1-tiny.yaml) and the way a command turns its
 * flags into one: read the YAML, set top-level keys and patch named stages, then parse and validate
 * the whole (src/pipeline/config.ts) before anything runs. `deepseek-ts r1-zero` and
 * `start --train` are such commands; the recipe file stays the one readable description.
 */
import { fileURLToPath } from 'node:url';
import { readConfigFile } from '../config/layers.js';

/** The repository (package) root: recipes/ and models/ live there. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The path of a shipped recipe, e.g. `recipePath('r1-zero')`. */
export const recipePath = (name: string): string => `${PACKAGE_ROOT}recipes/${name}.yaml`;

export type RawRecipe = Record<string, unknown> & { stages: Record<string, unknown>[] };

/** A recipe file as plain data (not validated yet). */
export function readRecipe(path: string): RawRecipe {
  const raw = readConfigFile(path, 'recipe');
  if (!Array.isArray(raw.stages)) throw new Error(`recipe ${path}: expected a list of stages`);
  return raw as RawRecipe;
}

/** Applies `patch` to the stage called `name` (shallow; `args` keys are merged into the stage's). */
export function patchStage(r: RawRecipe, name: string, patch: Record<string, unknown>): void {
  const s = r.stages.find((x) => x.name === name);
  if (!s) throw new Error(`recipe: no stage is called ${name}; stages: ${r.stages.map((x) => x.name).join(', ')}`);
  const { args, ...rest } = patch;
  Object.assign(s, rest);
  if (args !== undefined) s.args = { ...(s.args as Record<string, unknown> | undefined), ...(args as object) };
}
