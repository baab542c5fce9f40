/**
 * The HTTP server (node:http): the OpenAI-compatible API (`GET /v1/models[/{id}]`,
 * `POST /v1/chat/completions`, the legacy `POST /v1/completions`), `GET /health`, and the web chat page at `/`. Every client mistake
 * is answered with OpenAI's error body; nothing a request sends can throw past its own handler.
 * Binds 127.0.0.1 unless told otherwise; with an API key, /v1/ routes need `Authorization: Bearer`.
 * A client that disconnects mid-generation has its generations cancelled (slots freed) at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { ChatService } from './chat-service.js';
import { completionChunks, foldChunks } from './completions.js';
import { ApiError, badRequest } from './errors.js';
import { corsOrigin, foreignOrigin, hostAllowed, hostnameOf, isJsonContentType, type OriginPolicy } from './origin.js';
import { MessageContentError } from '../tokenizer/prompt-plan.js';
import { parseBody, parseChatBody, toChatRequest } from './schema.js';
import {
  foldTextChunks,
  promptIds,
  textCompletionBody,
  textCompletionChunks,
  textRequest,
} from './text-completions.js';
import { webFile, WEB_DIR } from './static.js';

/** Server settings. */
export interface ServeOptions {
  /** Model name clients must send (and /v1/models lists). */
  modelId: string;
  /** Interface to bind (default 127.0.0.1, loopback only). */
  host?: string;
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** When set, /v1/ requests need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Largest accepted request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * Most sequences admitted at once, running or waiting for a slot (a request of `n` choices counts
   * n); past it requests get 429 with Retry-After (default 4 x the model's slots).
   */
  maxQueue?: number;
  /** A request still generating after this many ms is ended: 504, or an error event when streaming (default 10 min; 0: none). */
  requestTimeoutMs?: number;
  /** Host header names accepted besides the bound address and loopback names (`*`: any). */
  allowedHosts?: readonly string[];
  /** Origin allowed to call the API from a browser (CORS; `*`: any); absent: CORS off. */
  cors?: string;
  /** Folder of the web page (default: src/serve/web). */
  webDir?: string;
  /** Receives one line per request (method, path, status, ms); the CLI prints it. */
  log?: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  server: Server;
  /** Base URL, e.g. http://127.0.0.1:8000 */
  url: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** Resolves when `res` can take more writes (or is gone). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Reads the body up to `limit` bytes; a larger one is drained and refused. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    badRequest(`Request body is larger than the server's limit of ${limit} bytes`, null, 'request_too_large');
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function authorized(req: IncomingMessage, apiKey: string | undefined): boolean {
  if (apiKey === undefined) return true;
  const got = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${apiKey}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The request handler (usable without a port, e.g. in tests). */
export function createHandler(
  service: ChatService,
  options: ServeOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  const maxQueue = options.maxQueue ?? 4 * service.scheduler.model.maxSlots;
  const timeoutMs = options.requestTimeoutMs ?? 600_000;
  const created = Math.floor(Date.now() / 1000);
  /** Sequences of the requests accepted and not yet answered. */
  let queued = 0;

  /** A failure inside generation (a model step, non-finite logits): a 500 that names the model. */
  const generationError = (err: unknown): ApiError =>
    err instanceof ApiError
      ? err
      : new ApiError(
          500,
          `model '${options.modelId}' failed to generate: ${(err as Error)?.message ?? String(err)}`,
          'server_error',
        );

  /** The JSON body of an API POST: only application/json is read (a text/plain POST needs no preflight). */
  async function readJsonBody(req: IncomingMessage): Promise<unknown> {
    if (!isJsonContentType(req)) {
      req.resume();
      throw new ApiError(
        415,
        `Content-Type '${req.headers['content-type'] ?? ''}' is not accepted; send the body as JSON with Content-Type: application/json`,
        'invalid_request_error',
        null,
        'unsupported_media_type',
      );
    }
    const raw = await readBody(req, maxBody);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest(
        'We could not parse the JSON body of your request. Send a JSON object with Content-Type: application/json.',
        null,
        'invalid_json',
      );
    }
    return json;
  }

  function checkModel(model: string): void {
    if (model !== options.modelId)
      throw badRequest(
        `The model '${model}' does not exist; this server serves '${options.modelId}'`,
        'model',
        'model_not_found',
      );
  }

  async function chatCompletions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseChatBody(await readJsonBody(req));
    if (body instanceof ApiError) throw body;
    checkModel(body.model);
    const request = toChatRequest(body);
    const atLeast = service.promptTokensAtLeast(request.messages);
    if (atLeast >= service.maxContext)
      throw badRequest(
        `This model's maximum context length is ${service.maxContext} tokens. However, your messages ` +
          `hold at least ${atLeast} tokens. Please reduce the length of the messages.`,
        'messages',
        'context_length_exceeded',
      );
    let prepared: ReturnType<ChatService['prepare']>;
    try {
      prepared = service.prepare(request);
    } catch (err) {
      if (err instanceof MessageContentError) throw badRequest(err.message, err.param, err.code);
      throw err;
    }
    const promptLen = prepared.prompt.ids.length,
      ctx = service.maxContext;
    if (promptLen >= ctx || (request.maxTokens !== undefined && promptLen + request.maxTokens > ctx)) {
      const asked =
        request.maxTokens === undefined
          ? ''
          : ` (${promptLen} in the messages, ${request.maxTokens} in the completion)`;
      throw badRequest(
        `This model's maximum context length is ${ctx} tokens. However, you requested ` +
          `${promptLen + (request.maxTokens ?? 0)} tokens${asked}. Please reduce the length of the messages or completion.`,
        'messages',
        'context_length_exceeded',
      );
    }
    const usage = body.stream_options?.include_usage === true;
    await generate(res, request.n, body.stream === true, {
      stream: (signal) => completionChunks(service, prepared, options.modelId, usage, signal),
      fold: (signal) => foldChunks(completionChunks(service, prepared, options.modelId, true, signal)),
    });
  }

  async function textCompletions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseBody(textCompletionBody, await readJsonBody(req));
    if (body instanceof ApiError) throw body;
    checkModel(body.model);
    const request = textRequest(body);
    const prompts = promptIds(service, body, request.maxTokens!);
    const chunks = (includeUsage: boolean, signal: AbortSignal) =>
      textCompletionChunks(
        service,
        request,
        prompts,
        options.modelId,
        { echo: body.echo === true, includeUsage },
        signal,
      );
    const usage = body.stream_options?.include_usage === true;
    await generate(res, request.n * prompts.length, body.stream === true, {
      stream: (signal) => chunks(usage, signal),
      fold: (signal) => foldTextChunks(chunks(true, signal)),
    });
  }

  /**
   * Runs `sequences` generations under the queue bound and the timeout: streamed as server-sent
   * events (writes wait for the reader), or folded into one JSON reply.
   */
  async function generate(
    res: ServerResponse,
    sequences: number,
    stream: boolean,
    make: { stream: (signal: AbortSignal) => AsyncIterable<unknown>; fold: (signal: AbortSignal) => Promise<unknown> },
  ): Promise<void> {
    if (sequences > maxQueue)
      throw badRequest(
        `This request needs ${sequences} sequences, more than this server's queue of ${maxQueue}; ask for a smaller n`,
        'n',
        'invalid_value',
      );
    if (queued + sequences > maxQueue)
      throw new ApiError(
        429,
        `The server is busy: its queue holds ${queued} of ${maxQueue} sequences and this request needs ${sequences}. Retry shortly.`,
        'rate_limit_error',
        null,
        'queue_full',
      );
    queued += sequences;
    const abort = new AbortController();
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            abort.abort();
          }, timeoutMs)
        : undefined;
    res.on('close', () => {
      queued -= sequences;
      clearTimeout(timer);
      if (!res.writableFinished) abort.abort();
    });
    const timeoutError = () =>
      new ApiError(
        504,
        `The request ran past this server's timeout of ${timeoutMs / 1000} s; ask for fewer tokens (max_tokens) or retry`,
        'timeout_error',
        null,
        'timeout',
      );
    if (stream) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      try {
        // Backpressure: a reader that stops reading stops the writes, not just the socket.
        for await (const c of make.stream(abort.signal))
          if (!res.write(`data: ${JSON.stringify(c)}\n\n`)) await drained(res);
        if (timedOut) throw timeoutError();
      } catch (err) {
        res.write(`data: ${JSON.stringify(generationError(err).body())}\n\n`);
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    let folded: unknown;
    try {
      folded = await make.fold(abort.signal);
    } catch (err) {
      throw generationError(err);
    }
    if (timedOut) throw timeoutError();
    clearTimeout(timer);
    sendJson(res, 200, folded);
  }

  const policy: OriginPolicy = {
    host: options.host ?? '127.0.0.1',
    allowedHosts: options.allowedHosts ?? [],
    cors: options.cors,
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!hostAllowed(req, policy))
      throw new ApiError(
        403,
        `Host '${req.headers.host}' is not served here (a DNS rebinding guard); start the server with ` +
          `--allowed-hosts ${hostnameOf(req.headers.host ?? '')} to allow it`,
        'invalid_request_error',
        null,
        'host_not_allowed',
      );
    const allowOrigin = corsOrigin(req, policy);
    if (allowOrigin !== undefined) {
      res.setHeader('access-control-allow-origin', allowOrigin);
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers':
            req.headers['access-control-request-headers'] ?? 'authorization, content-type',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
    }
    const foreign = path.startsWith('/v1/') ? foreignOrigin(req, policy) : undefined;
    if (foreign !== undefined)
      throw new ApiError(
        403,
        `Requests from the web origin '${foreign}' are not allowed; start the server with --cors ${foreign} to allow it`,
        'invalid_request_error',
        null,
        'origin_not_allowed',
      );
    if (path.startsWith('/v1/') && !authorized(req, options.apiKey)) {
      throw new ApiError(
        401,
        'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".',
        'invalid_request_error',
        null,
        'invalid_api_key',
      );
    }
    const method = req.method ?? 'GET';
    const only = (m: string) => {
      if (method !== m)
        throw new ApiError(
          405,
          `${method} is not allowed on ${path}; use ${m}`,
          'invalid_request_error',
          null,
          'method_not_allowed',
        );
    };
    if (path === '/v1/chat/completions') {
      only('POST');
      return chatCompletions(req, res);
    }
    if (path === '/v1/completions') {
      only('POST');
      return textCompletions(req, res);
    }
    if (path.startsWith('/v1/models/')) {
      only('GET');
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (id !== options.modelId)
        throw new ApiError(
          404,
          `The model '${id}' does not exist; this server serves '${options.modelId}'`,
          'invalid_request_error',
          'model',
          'model_not_found',
        );
      return sendJson(res, 200, { id, object: 'model', created, owned_by: 'deepseek-ts' });
    }
    if (path === '/v1/models') {
      only('GET');
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: options.modelId, object: 'model', created, owned_by: 'deepseek-ts' }],
      });
    }
    if (path === '/health') {
      only('GET');
      return sendJson(res, 200, { status: 'ok', model: options.modelId, active_requests: service.scheduler.active });
    }
    if (method === 'GET') {
      const f = await webFile(path, options.webDir ?? WEB_DIR);
      if (f) {
        res.writeHead(200, { 'content-type': f.type, 'content-length': f.body.length, 'cache-control': 'no-cache' });
        res.end(f.body);
        return;
      }
    }
    throw new ApiError(404, `No route for ${method} ${path}`, 'invalid_request_error', null, 'not_found');
  }

  return (req, res) => {
    const t0 = Date.now();
    res.on('finish', () => options.log?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - t0} ms`));
    route(req, res).catch((err: unknown) => {
      const e =
        err instanceof ApiError
          ? err
          : new ApiError(500, `internal error: ${(err as Error)?.message ?? String(err)}`, 'server_error');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const extra: Record<string, string> =
        e.code === 'request_too_large' ? { connection: 'close' } : e.status === 429 ? { 'retry-after': '1' } : {};
      sendJson(res, e.status, e.body(), extra);
    });
  };
}

/** Starts listening; resolves once bound. */
export function startServer(service: ChatService, options: ServeOptions): Promise<RunningServer> {
  const server = createServer(createHandler(service, options));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve({
        server,
        url: `http://${host}:${a.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
