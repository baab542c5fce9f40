/**
 * `deepseek-ts info`: the exact --json line for the V3 preset, the table, config resolution from a
 * preset, a folder and a file, and the error for an unknown argument. Runs the command through
 * commander in-process, capturing stdout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TINY_V3_DIR } from '../helpers/fixtures.js';
import { Command } from 'commander';
import { register } from '../../src/cli/commands/info.js';
import { resolveConfig } from '../../src/models/deepseek-v3/presets.js';

const TINY = TINY_V3_DIR;

async function runInfo(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string | Uint8Array): boolean => {
    chunks.push(String(s));
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'deepseek-ts', 'info', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

test('info deepseek-v3 --json prints exactly the five integer figures', async () => {
  const out = await runInfo(['deepseek-v3', '--json']);
  assert.equal(
    out,
    '{"total_params":671026419200,"active_params":36625618432,"mtp_params":11610068224,"kv_cache_bytes_per_token":70272,"mha_kv_cache_bytes_per_token":4997120}\n',
  );
});

test('info prints a readable table', async () => {
  const out = await runInfo(['deepseek-v3']);
  assert.match(out, /total \(main model\)\s+671,026,419,200\s+671\.03B/);
  assert.match(out, /activated per token\s+36,625,618,432\s+36\.63B/);
  assert.match(out, /MLA latent \(absorbed\)\s+70,272 bytes/);
  assert.match(out, /61 \(3 dense, then MoE\) \+ 1 MTP module/);
});

test('config arguments: preset, folder, file; unknown names are errors', async () => {
  const fromDir = await resolveConfig(TINY);
  const fromFile = await resolveConfig(join(TINY, 'config.json'));
  assert.deepEqual(fromDir.config, fromFile.config);
  assert.equal((await resolveConfig('bench-small')).config.hidden_size, 256);
  const json = JSON.parse(await runInfo([TINY, '--json'])) as Record<string, number>;
  assert.deepEqual(Object.keys(json), [
    'total_params',
    'active_params',
    'mtp_params',
    'kv_cache_bytes_per_token',
    'mha_kv_cache_bytes_per_token',
  ]);
  assert.equal(json.kv_cache_bytes_per_token, 3 * (16 + 8) * 2);
  await assert.rejects(
    resolveConfig('no-such-model'),
    /"no-such-model" is neither a preset \(deepseek-v3, deepseek-v2-lite, bench-small\) nor an existing/,
  );
  await assert.rejects(runInfo([]), /info: give a config\.json path/);
});
