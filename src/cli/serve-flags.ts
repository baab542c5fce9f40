/**
 * The server flags `serve` and `start` share (one definition, so `npm start` and `serve` take the
 * same API key, hosts, CORS and limits): each flag's text feeds `--help`, and `serverOptions` turns
 * the parsed flags into the server's settings. The API key comes from --api-key or, when that is
 * absent, from DEEPSEEK_TS_API_KEY. docs/serving.md describes each limit and its error.
 */
import type { Command } from 'commander';
import type { ServeOptions } from '../serve/server.js';
import { intOption } from './options.js';

/** The parsed shared flags. */
export interface ServerFlags {
  host: string;
  port: number;
  apiKey?: string;
  allowedHosts?: string[];
  cors?: string;
  maxBodyBytes: number;
  maxQueue?: number;
  requestTimeout: number;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Adds the shared server flags to `cmd`. */
export function addServerOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'interface to bind (use 0.0.0.0 to expose it beyond this machine)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', intOption('--port'), 8000)
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" on /v1/ (default: $DEEPSEEK_TS_API_KEY)')
    .option(
      '--allowed-hosts <names>',
      'comma-separated Host names accepted besides the bound address and loopback (* for any)',
      list,
    )
    .option('--cors <origin>', 'let web pages of this origin call the API (CORS; * for any); default: off')
    .option('--max-body-bytes <n>', 'largest request body accepted', intOption('--max-body-bytes'), 1 << 20)
    .option(
      '--max-queue <n>',
      'most sequences running or waiting; past it 429 (default: 4 x slots)',
      intOption('--max-queue'),
    )
    .option(
      '--request-timeout <s>',
      'end a request still generating after this many seconds (0: never)',
      intOption('--request-timeout'),
      600,
    );
}

/** The server settings of the shared flags (`env` supplies DEEPSEEK_TS_API_KEY). */
export function serverOptions(
  flags: ServerFlags,
  env: NodeJS.ProcessEnv = process.env,
): Omit<ServeOptions, 'modelId' | 'log' | 'webDir'> {
  const apiKey = flags.apiKey ?? env.DEEPSEEK_TS_API_KEY;
  return {
    host: flags.host,
    port: flags.port,
    apiKey: apiKey || undefined,
    allowedHosts: flags.allowedHosts,
    cors: flags.cors,
    maxBodyBytes: flags.maxBodyBytes,
    maxQueue: flags.maxQueue,
    requestTimeoutMs: flags.requestTimeout * 1000,
  };
}
