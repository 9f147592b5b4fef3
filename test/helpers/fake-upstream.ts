/**
 * A fake OpenAI upstream over HTTPS (the test CA's localhost certificate), listening on port 0.
 *
 * Stable exports (test/chart and test/integration import them):
 *   startFakeUpstream(opts?)   -> Promise<FakeUpstream>
 *     opts.t                   tap test: close() is registered with t.teardown
 *     opts.keepBodyBytes       request bytes kept in `rec.body` (default 4 MiB); all are hashed and counted
 *     opts.keepAliveTimeoutMs  the server's keep-alive timeout (default Node's 5000)
 *     opts.plainHttp           serve plain HTTP instead of HTTPS (Ollama / vLLM style); url is http://
 *     opts.host                address to listen on (default 127.0.0.1; '::1' for IPv6, url uses [::1])
 *   FakeUpstream               { url, origin, port, requests, sockets, handle, close(), waitForRequest(pred?),
 *                                lastRequest(), watchKeys(keys), misplacedKeys(keySet) }
 *     url                      `https://localhost:<port>` (give it to the proxy as OPENAI_BASE_URL)
 *     sockets                  (see below); server: the node:https (or node:http) server
 *     requests                 every RecordedRequest in arrival order
 *     sockets                  SocketRecord per TLS connection: { id, closed, closedByPeer }
 *     handle                   set to a Handler to override the default OpenAI answers (undefined = defaults)
 *     watchKeys(keys)          scan every later request body, whole, for these keys (startProxy does this)
 *     misplacedKeys(keySet)    problems, by key fingerprint: an upstream key anywhere but `authorization:
 *                              Bearer <key>`, a client key anywhere (startProxy fails the test on any)
 *   RecordedRequest            what arrived: method, url, headers, rawHeaders, body bytes / sha256 / length,
 *                              requestId (the x-request-id we answered with), aborted (the proxy left before
 *                              our response finished), socketId / socketRequestIndex (keep-alive), done promise,
 *                              bodyKeyFingerprints (watched keys found anywhere in the body)
 *   Handler                    (req, res, rec) => void | Promise<void>; called once the request body is read
 *   handlers                   ready-made Handlers: json, openaiError, sse, slowSse, resetBeforeHeaders,
 *                              resetMidStream, stall, stallMidStream, gzipJson, echo, defaults
 *   openaiHeaders(rec)         the x-request-id / openai-processing-ms / x-ratelimit-* headers OpenAI sends
 *   recordedStream(name)       the events of test/fixtures/streams/<name>.sse
 *   usageStream(name, body)    chat-completions or completions events as OpenAI answers this request body
 *                              (`stream_options.include_usage`: `"usage":null` in each chunk, and a usage chunk)
 *   writeSse(res, events, opts) writes events one write each, spaced by intervalMs; resolves when done
 *   SPEECH_BYTES, IMAGE_PNG    the binary bodies the defaults answer /v1/audio/speech and images with
 *   sha256(buf), sleep(ms), within(promise, ms, what) (rejects with `what` if not settled in time),
 *   until(check, ms) (resolves true once check() is true, false if it is not within ms)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, createServer as createHttpServer } from 'node:http';
import { createServer, Server as HttpsServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bodyKeyScanner, misplacedKeys, type KeySet } from './keys';

const FIXTURES = join(__dirname, '..', 'fixtures');

export interface RecordedRequest {
  method: string;
  /** The request target exactly as it arrived (path and query). */
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  /** The first `keepBodyBytes` bytes of the body. */
  body: Buffer;
  bodyLength: number;
  bodySha256: string;
  bodyComplete: boolean;
  /** Fingerprints of the watched keys found anywhere in the body, including bytes past `keepBodyBytes`. */
  bodyKeyFingerprints: string[];
  /** The `x-request-id` the default answers carry. */
  requestId: string;
  /** True when the connection closed before our response finished (the proxy cancelled us). */
  aborted: boolean;
  /** Which TCP connection carried the request, and how many came before it on that connection. */
  socketId: number;
  socketRequestIndex: number;
  receivedAt: number;
  /** Resolves when the exchange is over: our response finished, or the connection closed. */
  done: Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) => void | Promise<void>;

export interface FakeUpstream {
  url: string;
  origin: string;
  port: number;
  server: Server;
  requests: RecordedRequest[];
  /** Every TLS connection the proxy opened to us, in order. */
  sockets: SocketRecord[];
  handle: Handler | undefined;
  waitForRequest(pred?: (rec: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  lastRequest(): RecordedRequest | undefined;
  close(): Promise<void>;
  /** Keys to look for in every request body from now on (bodies are not kept whole, so they are scanned). */
  watchKeys(keys: Iterable<string>): void;
  /** Where keys arrived that they must not: see test/helpers/keys.ts; messages name keys by fingerprint. */
  misplacedKeys(keys: KeySet): string[];
}

export interface FakeUpstreamOptions {
  t?: { teardown(fn: () => unknown): void };
  keepBodyBytes?: number;
  keepAliveTimeoutMs?: number;
  plainHttp?: boolean;
  host?: string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
/** Resolves once `check()` is true (polled every 20 ms); false if it still is not after `ms`. */
export async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; !check(); await sleep(20)) if (Date.now() > deadline) return false;
  return true;
}
export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** 300 KiB of every byte value in a fixed pseudo-random order: what /v1/audio/speech answers. */
export const SPEECH_BYTES: Buffer = pseudoRandomBytes(300 * 1024, 0x5eed);
/** A tiny PNG (1x1, transparent): what image endpoints answer, base64-encoded. */
export const IMAGE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const keep = opts.keepBodyBytes ?? 4 * 1024 * 1024;
  const tls = join(FIXTURES, 'tls');
  const server: Server = opts.plainHttp
    ? (createHttpServer() as unknown as Server)
    : createServer({ cert: readFileSync(join(tls, 'server.pem')), key: readFileSync(join(tls, 'server-key.pem')) });
  if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  const socketRecords: SocketRecord[] = [];
  const sockets = trackSockets(server, socketRecords);
  const requests: RecordedRequest[] = [];
  const fake = { requests, sockets: socketRecords, handle: undefined as Handler | undefined } as FakeUpstream;
  const watched = new Set<string>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const rec = record(req, res, sockets.info(req.socket));
    requests.push(rec);
    readBody(req, rec, keep, [...watched], () => runHandler(fake.handle ?? handlers.defaults(), req, res, rec));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `${opts.plainHttp ? 'http' : 'https'}://${host === '::1' ? '[::1]' : 'localhost'}:${port}`;
  Object.assign(fake, {
    server,
    port,
    origin,
    url: origin,
    lastRequest: () => requests[requests.length - 1],
    waitForRequest: (pred = () => true, timeoutMs = 10_000) => waitFor(() => requests.find(pred), timeoutMs, 'upstream request'),
    close: () => closeServer(server),
    watchKeys: (keys: Iterable<string>) => {
      for (const key of keys) watched.add(key);
    },
    misplacedKeys: (keys: KeySet) => misplacedKeys(requests, keys),
  });
  opts.t?.teardown(() => fake.close());
  return fake;
}

export interface SocketRecord {
  id: number;
  closed: boolean;
  /** The proxy closed the idle connection (we saw its FIN) before we closed it. */
  closedByPeer: boolean;
}

function trackSockets(server: Server, records: SocketRecord[]) {
  const ids = new WeakMap<Socket, { id: number; count: number }>();
  let next = 0;
  server.on(server instanceof HttpsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
    const entry = { id: next++, count: 0 };
    ids.set(socket, entry);
    const rec: SocketRecord = { id: entry.id, closed: false, closedByPeer: false };
    records.push(rec);
    socket.on('end', () => (rec.closedByPeer = !rec.closed));
    socket.on('close', () => (rec.closed = true));
  });
  return {
    info(socket: Socket) {
      const entry = ids.get(socket) ?? { id: next++, count: 0 };
      ids.set(socket, entry);
      return { socketId: entry.id, socketRequestIndex: entry.count++ };
    },
  };
}

let requestCounter = 0;

function record(req: IncomingMessage, res: ServerResponse, socket: { socketId: number; socketRequestIndex: number }): RecordedRequest {
  let finish!: () => void;
  const rec: RecordedRequest = {
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body: Buffer.alloc(0),
    bodyLength: 0,
    bodySha256: '',
    bodyComplete: false,
    bodyKeyFingerprints: [],
    requestId: `req_fake${(++requestCounter).toString(16).padStart(8, '0')}${process.pid.toString(16)}`,
    aborted: false,
    ...socket,
    receivedAt: Date.now(),
    done: new Promise<void>((resolve) => (finish = resolve)),
  };
  res.on('close', () => {
    rec.aborted = !res.writableFinished;
    finish();
  });
  return rec;
}

/** Hashes every byte and keeps the first `keep`, so a 1 GiB upload costs no memory here. */
function readBody(req: IncomingMessage, rec: RecordedRequest, keep: number, keys: string[], then: () => void): void {
  const hash = createHash('sha256');
  const scanner = bodyKeyScanner(keys);
  const kept: Buffer[] = [];
  let keptBytes = 0;
  req.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    scanner.write(chunk);
    rec.bodyKeyFingerprints = scanner.found();
    rec.bodyLength += chunk.length;
    if (keptBytes < keep) {
      const part = chunk.subarray(0, keep - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
  });
  req.on('end', () => {
    rec.body = Buffer.concat(kept);
    rec.bodySha256 = hash.digest('hex');
    rec.bodyComplete = true;
    then();
  });
  req.on('error', () => {});
}

function runHandler(handler: Handler, req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): void {
  Promise.resolve()
    .then(() => handler(req, res, rec))
    .catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: { message: `fake upstream handler failed: ${String(err)}`, type: 'server_error' } });
    });
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Answers

/** The headers OpenAI puts on every answer; tests check they come back through the proxy. */
export function openaiHeaders(rec: RecordedRequest): OutgoingHttpHeaders {
  return {
    'x-request-id': rec.requestId,
    'openai-processing-ms': '42',
    'openai-version': '2020-10-01',
    'openai-organization': 'fake-org',
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-remaining-requests': '9999',
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-limit-tokens': '30000000',
    'x-ratelimit-remaining-tokens': '29999985',
    'x-ratelimit-reset-tokens': '0s',
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length, ...headers });
  res.end(bytes);
}

export function recordedStream(name: string): string[] {
  const text = readFileSync(join(FIXTURES, 'streams', `${name}.sse`), 'utf8');
  return text
    .split('\n\n')
    .filter((event) => event.trim() !== '')
    .map((event) => `${event}\n\n`);
}

export interface WriteSseOptions {
  intervalMs?: number;
  headers?: OutgoingHttpHeaders;
  /** Called right after event `index` was handed to the socket. */
  onSent?: (index: number) => void;
  /** Stop after this many events without ending the response (for faults). */
  stopAfter?: number;
}

/** Writes one event per write; resolves when all are sent (or the client left). Ends the response. */
export async function writeSse(res: ServerResponse, events: string[], opts: WriteSseOptions = {}): Promise<void> {
  if (!res.headersSent) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...opts.headers });
    res.flushHeaders();
  }
  const count = Math.min(events.length, opts.stopAfter ?? events.length);
  for (let i = 0; i < count; i++) {
    if (i > 0 && opts.intervalMs) await sleep(opts.intervalMs);
    if (res.destroyed) return;
    res.write(events[i]);
    opts.onSent?.(i);
  }
  if (opts.stopAfter === undefined) res.end();
}

function bodyJson(rec: RecordedRequest): Record<string, any> {
  try {
    return JSON.parse(rec.body.toString('utf8') || '{}');
  } catch {
    return {};
  }
}

const created = () => Math.floor(Date.now() / 1000);

/** The usage chunk OpenAI ends a completions stream with when asked (the recording has none). */
const COMPLETIONS_USAGE_CHUNK =
  'data: {"id":"cmpl-fake0001","object":"text_completion","created":1735689600,"model":"gpt-3.5-turbo-instruct","choices":[],' +
  '"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}\n\n';

/**
 * A recorded chat or completions stream as OpenAI sends it for this request: with `stream_options.include_usage`
 * every chunk carries `"usage":null` and a usage chunk (empty `choices`) comes before `[DONE]`; without, neither.
 */
export function usageStream(name: 'chat-completions' | 'completions', body: Record<string, any>): string[] {
  const events = recordedStream(name);
  const usageChunk = (event: string) => event.includes('"choices":[]');
  if (body.stream_options?.include_usage !== true) return events.filter((event) => !usageChunk(event));
  const withNull = events.map((event) => (usageChunk(event) || !event.startsWith('data: {') ? event : event.replace(/\}\n\n$/, ',"usage":null}\n\n')));
  if (name === 'completions') withNull.splice(withNull.length - 1, 0, COMPLETIONS_USAGE_CHUNK);
  return withNull;
}

function chatCompletion(rec: RecordedRequest, res: ServerResponse): void | Promise<void> {
  const body = bodyJson(rec);
  if (body.stream) return writeSse(res, usageStream('chat-completions', body), { headers: openaiHeaders(rec) });
  sendJson(
    res,
    200,
    {
      id: 'chatcmpl-fake0001',
      object: 'chat.completion',
      created: created(),
      model: body.model ?? 'gpt-4.1-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello from the fake upstream.', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
      service_tier: 'default',
      system_fingerprint: 'fp_fake0001',
    },
    openaiHeaders(rec),
  );
}

function responses(rec: RecordedRequest, res: ServerResponse): void | Promise<void> {
  if (bodyJson(rec).stream) return writeSse(res, recordedStream('responses'), { headers: openaiHeaders(rec) });
  const final = JSON.parse(readFileSync(join(FIXTURES, 'streams', 'responses-final.json'), 'utf8'));
  sendJson(res, 200, final, openaiHeaders(rec));
}

function completions(rec: RecordedRequest, res: ServerResponse): void | Promise<void> {
  const body = bodyJson(rec);
  if (body.stream) return writeSse(res, usageStream('completions', body), { headers: openaiHeaders(rec) });
  sendJson(
    res,
    200,
    {
      id: 'cmpl-fake0001',
      object: 'text_completion',
      created: created(),
      model: body.model ?? 'gpt-3.5-turbo-instruct',
      choices: [{ text: 'Once upon a time', index: 0, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
    },
    openaiHeaders(rec),
  );
}

/** Vectors are [0.25, 0.5, -0.75, 1] for every input; base64 when asked (the SDK asks by default). */
export const EMBEDDING = [0.25, 0.5, -0.75, 1];

function embeddings(rec: RecordedRequest, res: ServerResponse): void {
  const body = bodyJson(rec);
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const vector = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(EMBEDDING).buffer).toString('base64') : EMBEDDING;
  sendJson(
    res,
    200,
    {
      object: 'list',
      data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: vector })),
      model: body.model ?? 'text-embedding-3-small',
      usage: { prompt_tokens: 3, total_tokens: 3 },
    },
    openaiHeaders(rec),
  );
}

function images(rec: RecordedRequest, res: ServerResponse): void {
  sendJson(res, 200, { created: created(), data: [{ b64_json: IMAGE_PNG.toString('base64') }] }, openaiHeaders(rec));
}

function transcription(rec: RecordedRequest, res: ServerResponse): void {
  sendJson(res, 200, { text: 'Hello from the fake upstream.' }, openaiHeaders(rec));
}

async function speech(rec: RecordedRequest, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'audio/mpeg', 'transfer-encoding': 'chunked', ...openaiHeaders(rec) });
  for (let at = 0; at < SPEECH_BYTES.length; at += 64 * 1024) {
    if (!res.write(SPEECH_BYTES.subarray(at, at + 64 * 1024))) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}

function models(rec: RecordedRequest, res: ServerResponse): void {
  const ids = ['gpt-4.1-mini', 'gpt-4.1', 'text-embedding-3-small', 'whisper-1', 'tts-1', 'gpt-image-1'];
  const model = (id: string) => ({ id, object: 'model', created: 1735689600, owned_by: 'openai' });
  const path = rec.url.split('?')[0];
  if (path.startsWith('/v1/models/')) return sendJson(res, 200, model(decodeURIComponent(path.slice('/v1/models/'.length))), openaiHeaders(rec));
  sendJson(res, 200, { object: 'list', data: ids.map(model) }, openaiHeaders(rec));
}

const ROUTES: Record<string, (rec: RecordedRequest, res: ServerResponse) => void | Promise<void>> = {
  'POST /v1/chat/completions': chatCompletion,
  'POST /v1/responses': responses,
  'POST /v1/completions': completions,
  'POST /v1/embeddings': embeddings,
  'POST /v1/images/generations': images,
  'POST /v1/images/edits': images,
  'POST /v1/images/variations': images,
  'POST /v1/audio/transcriptions': transcription,
  'POST /v1/audio/translations': transcription,
  'POST /v1/audio/speech': speech,
  'GET /v1/models': models,
};

function defaultAnswer(rec: RecordedRequest, res: ServerResponse): void | Promise<void> {
  const path = rec.url.split('?')[0];
  const route = ROUTES[`${rec.method} ${path}`] ?? (rec.method === 'GET' && path.startsWith('/v1/models/') ? models : undefined);
  if (route) return route(rec, res);
  sendJson(
    res,
    404,
    { error: { message: `Unknown request URL: ${rec.method} ${path}.`, type: 'invalid_request_error', param: null, code: 'unknown_url' } },
    openaiHeaders(rec),
  );
}

/** Ready-made handlers for `fake.handle = ...`. */
export const handlers = {
  /** The OpenAI-like answers described at the top of this file. */
  defaults: (): Handler => (_req, res, rec) => defaultAnswer(rec, res),

  json:
    (status: number, body: unknown, headers: OutgoingHttpHeaders = {}): Handler =>
    (_req, res, rec) =>
      sendJson(res, status, body, { ...openaiHeaders(rec), ...headers }),

  /** An error in OpenAI's shape, e.g. openaiError(429, 'rate_limit_exceeded', { 'retry-after': '7' }). */
  openaiError:
    (status: number, code: string, headers: OutgoingHttpHeaders = {}): Handler =>
    (_req, res, rec) =>
      sendJson(
        res,
        status,
        { error: { message: `fake ${status}: ${code}`, type: 'invalid_request_error', param: null, code } },
        { ...openaiHeaders(rec), ...headers },
      ),

  sse:
    (events: string[], opts: WriteSseOptions = {}): Handler =>
    (_req, res, rec) =>
      writeSse(res, events, { ...opts, headers: { ...openaiHeaders(rec), ...opts.headers } }),

  /** `count` chat chunks `data: {"i":n}`, one every `intervalMs`, then `data: [DONE]`. */
  slowSse: (count: number, intervalMs: number, onSent?: (index: number) => void): Handler => {
    const events = Array.from({ length: count }, (_, i) => `data: {"i":${i}}\n\n`).concat('data: [DONE]\n\n');
    return (_req, res, rec) => writeSse(res, events, { intervalMs, onSent, headers: openaiHeaders(rec) });
  },

  /** Closes the connection without answering. */
  resetBeforeHeaders: (): Handler => (req) => {
    req.socket.destroy();
  },

  /** Sends headers and `afterEvents` events of a slow stream, then closes the connection. */
  resetMidStream:
    (afterEvents = 2, intervalMs = 20): Handler =>
    async (req, res, rec) => {
      const events = Array.from({ length: afterEvents }, (_, i) => `data: {"i":${i}}\n\n`);
      await writeSse(res, events, { intervalMs, stopAfter: afterEvents, headers: openaiHeaders(rec) });
      await sleep(intervalMs);
      req.socket.destroy();
    },

  /** Never answers (the connection stays open until the proxy gives up). */
  stall: (): Handler => () => new Promise<void>(() => {}),

  /** Sends headers and `afterEvents` events, then goes silent with the connection open. */
  stallMidStream:
    (afterEvents = 1): Handler =>
    async (_req, res, rec) => {
      const events = Array.from({ length: afterEvents }, (_, i) => `data: {"i":${i}}\n\n`);
      await writeSse(res, events, { stopAfter: afterEvents, headers: openaiHeaders(rec) });
    },

  /** A gzip-compressed JSON body with `content-encoding: gzip`; `gzipBytes` is exactly what is sent. */
  gzipJson:
    (gzipBytes: Buffer): Handler =>
    (_req, res, rec) => {
      res.writeHead(200, {
        ...openaiHeaders(rec),
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': gzipBytes.length,
        vary: 'Accept-Encoding',
      });
      res.end(gzipBytes);
    },

  /** Answers with what arrived: method, url, headers, rawHeaders, body length and hash. */
  echo:
    (headers: OutgoingHttpHeaders = {}): Handler =>
    (req, res, rec) =>
      sendJson(
        res,
        200,
        { method: rec.method, url: rec.url, headers: req.headers, rawHeaders: req.rawHeaders, bodyLength: rec.bodyLength, bodySha256: rec.bodySha256 },
        { ...openaiHeaders(rec), ...headers },
      ),
};

export const gzip = (data: string | Buffer) => gzipSync(data);
