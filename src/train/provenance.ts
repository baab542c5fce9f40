/**
 * Where a committed result came from: the commit of the code that produced it (and whether the
 * working tree had uncommitted changes) and the exact command line, so anyone can rerun it
 * (results are generated, never typed). Written into every results.json.
 */
import { spawnSync } from 'node:child_process';

export interface Provenance {
  /** `git rev-parse HEAD` of the working tree, or 'unknown' outside a git checkout. */
  commit: string;
  /** True when tracked files differed from that commit when the run started. */
  dirty: boolean;
  /** The command line, as a shell would take it. */
  command: string;
}

function git(args: string[]): string | undefined {
  const r = spawnSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Quotes one argument for a POSIX shell when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The provenance of the current process: its commit and `deepseek-ts <its arguments>`. */
export function provenance(argv: readonly string[] = process.argv.slice(2)): Provenance {
  const commit = git(['rev-parse', 'HEAD']) ?? 'unknown';
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    commit,
    dirty: status === undefined ? false : status.length > 0,
    command: ['deepseek-ts', ...argv].map(shellQuote).join(' '),
  };
}
