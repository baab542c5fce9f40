/**
 * Paths of the data the tests read, all inside the repository (test/fixtures/), so a fresh clone
 * tests itself. test/fixtures/reference/ is a copy of the project's reference data (DeepSeek's
 * official inference code in float64, see test/fixtures/reference/README.md); bench/ holds the
 * shared benchmark config.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root (this file compiles to dist/test/helpers/fixtures.js). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** test/fixtures in the source tree (fixtures are not copied into dist/). */
export const FIXTURES_DIR = join(REPO_ROOT, 'test', 'fixtures');
/** One folder per reference case: config.json, model.safetensors, reference.safetensors. */
export const REFERENCE_ROOT = join(FIXTURES_DIR, 'reference', 'deepseek-v3');
/** The tiny DeepseekV3 reference case (MoE, MLA, q LoRA, YaRN, MTP). */
export const TINY_V3_DIR = join(REFERENCE_ROOT, 'tiny-v3');
/** The benchmark yardstick config (6.49M parameters). */
export const BENCH_SMALL_JSON = join(FIXTURES_DIR, 'bench', 'bench-small.json');
