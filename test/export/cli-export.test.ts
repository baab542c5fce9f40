/**
 * The `deepseek-ts export` command end to end: each format through the built CLI, the FP8
 * round-trip report, and flag errors that name the flag and the value.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { readGguf } from '../../src/io/gguf.js';
import { tinyV3Checkpoint } from './fixtures.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'export', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('deepseek-ts export', () => {
  it('writes fp8, hf (sharded) and gguf outputs and reports the FP8 round-trip error', async () => {
    const dir = await tinyV3Checkpoint();
    const fp8 = cli(dir, '--format', 'fp8', '--out', join(dir, 'fp8'));
    assert.equal(fp8.status, 0, fp8.stderr);
    assert.match(
      fp8.stdout,
      /FP8 E4M3, 128x128 block scales: \d+ weights, .* round-trip error max [\d.e-]+ .* relative RMS [\d.]+%/,
    );
    const hf = cli(
      join(dir, 'fp8'),
      '--format',
      'hf',
      '--out',
      join(dir, 'hf'),
      '--max-shard-size',
      '300KB',
      '--dtype',
      'bf16',
    );
    assert.equal(hf.status, 0, hf.stderr);
    assert.match(hf.stderr, /dequantised \d+ FP8 weights on load/);
    assert.ok(existsSync(join(dir, 'hf', 'model.safetensors.index.json')));
    const gguf = cli(join(dir, 'hf'), '--format', 'gguf', '--type', 'q8_0', '--out', join(dir, 'm.gguf'));
    assert.equal(gguf.status, 0, gguf.stderr);
    assert.match(gguf.stdout, /wrote .*m\.gguf: 52 tensors, .* \(deepseek2, Q8_0\)/);
    assert.equal((await readGguf(join(dir, 'm.gguf'))).metadata.get('general.file_type')!.value, 7);
  });

  it('names a bad flag value and a folder without a checkpoint', async () => {
    const bad = cli('/tmp', '--format', 'onnx', '--out', 'x');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--format must be one of hf, gguf, fp8, got 'onnx'/);
    const shard = cli('/tmp', '--format', 'hf', '--out', 'x', '--max-shard-size', 'lots');
    assert.match(shard.stderr, /--max-shard-size must be a size like 5GB/);
    const missing = cli('/nonexistent-checkpoint', '--format', 'hf', '--out', 'x');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /nonexistent-checkpoint\/config\.json: cannot read config\.json/);
  });
});
