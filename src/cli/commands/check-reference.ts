/**
 * `deepseek-ts check-reference <dir>`: compares the model with a reference folder laid out like
 * shared/reference/deepseek-v3/<case> (config.json, model.safetensors, reference.safetensors from
 * DeepSeek's official inference code): full forward logits, prefill + one-token decode logits on
 * the absorbed latent cache, loss, every gradient and the routing. Prints the max abs difference of
 * each item against its tolerance (shared/reference/README.md) and exits 1 when any exceeds it.
 */
import type { Command } from 'commander';
import { createBackend, type BackendKind } from '../../kernels/index.js';
import { checkReference, type CheckItem } from '../../models/deepseek-v3/check-reference.js';
import { Engine } from '../../tensor/index.js';
import { intOption } from '../options.js';

function table(items: readonly CheckItem[]): string {
  const w = items.map((i) => i.name.length).reduce((a, b) => Math.max(a, b), -Infinity);
  return items
    .map(
      (i) =>
        `${i.pass ? 'ok  ' : 'FAIL'}  ${i.name.padEnd(w)}  max abs diff ${i.diff.toExponential(3)}  (tolerance ${i.tolerance.toExponential(2)})`,
    )
    .join('\n');
}

export function register(program: Command): void {
  program
    .command('check-reference')
    .description(
      "compare the model with outputs of DeepSeek's official code (logits, decode, loss, gradients, routing)",
    )
    .argument('<dir>', 'folder with config.json, model.safetensors and reference.safetensors')
    .option('--backend <kind>', 'kernel backend: auto, wasm or reference', 'auto')
    .option('--threads <n>', 'threads for the WASM backend (default: all cores)', intOption('--threads'))
    .option('--json', 'print {"pass": bool, "items": [{"name","diff","tolerance","pass"}]}')
    .action(async (dir: string, o: { backend: string; threads?: number; json?: boolean }) => {
      if (!['auto', 'wasm', 'reference'].includes(o.backend))
        throw new Error(`--backend is '${o.backend}'; expected auto, wasm or reference`);
      const backend = await createBackend({ kind: o.backend as BackendKind, threads: o.threads });
      try {
        const report = await checkReference(new Engine(backend), dir);
        for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
        if (o.json) process.stdout.write(`${JSON.stringify({ pass: report.pass, items: report.items })}\n`);
        else {
          const failed = report.items.filter((i) => !i.pass).length;
          process.stdout.write(
            `${table(report.items)}\n${report.pass ? 'PASS' : 'FAIL'}: ${report.items.length - failed} ` +
              `of ${report.items.length} items within tolerance (${backend.name})\n`,
          );
        }
        if (!report.pass) process.exitCode = 1;
      } finally {
        backend.dispose();
      }
    });
}
