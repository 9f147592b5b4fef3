// The fake OpenAI upstream for `make soak`: HTTPS with the test CA's certificate (the proxy trusts it through
// NODE_EXTRA_CA_CERTS), on 127.0.0.1:0, in its own process so it does not share an event loop with the load.
// First stdout line: {"port":N}. Keeps counters only (never the requests), so a long soak costs it no memory.
//   POST /v1/chat/completions             JSON answer; `"stream":true` in the body: SSE, `frames` chunks
//                                         `interval` ms apart (query), a usage chunk, then [DONE]
//   POST /v1/chat/completions?delay=MS    the JSON answer after MS ms (for clients that give up waiting)
//   POST /v1/chat/completions?fail=429    an OpenAI-shaped error with this status (429 gets retry-after); the
//                                         soak checks these come back through the proxy as they left here
//   POST /v1/audio/transcriptions         counts the body's bytes and answers {"text","bytes"}
//   GET  /v1/models                       a model list
//   GET  /soak/stats                      the counters below (asked directly, not through the proxy)
//   GET  /soak/seen?ids=1,2               which of these x-soak-request ids arrived here (ids are kept: a few
//                                         bytes per request)
// Env: SOAK_UPSTREAM_KEY, the only Authorization it accepts as right (a wrong one is counted, not refused, so
// the soak reports it as a failed check instead of as a puzzling 401).
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TLS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');
const expectedAuthorization = `Bearer ${process.env.SOAK_UPSTREAM_KEY}`;

const stats = {
  connections: 0,
  openConnections: 0,
  requests: 0,
  /** Responses that finished (the proxy read them to the end). */
  completed: 0,
  /** Exchanges whose connection closed before our response finished: the proxy cancelled them. */
  cancelled: 0,
  active: 0,
  wrongAuthorization: 0,
  /** Requests that still carried a client's key header: the proxy must strip it. */
  clientKeyHeader: 0,
  byRoute: {},
};

const seen = new Set();

const openaiHeaders = (id) => ({ 'x-request-id': `req_soak${id.toString(16)}`, 'openai-processing-ms': '3' });

function sendJson(res, status, body, headers) {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length, ...headers });
  res.end(bytes);
}

const chunk = (i) =>
  `data: {"id":"chatcmpl-soak","object":"chat.completion.chunk","created":1,"model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"content":"tok${i} "},"finish_reason":null}]}\n\n`;
const USAGE_CHUNK =
  'data: {"id":"chatcmpl-soak","object":"chat.completion.chunk","created":1,"model":"gpt-4.1-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}\n\n';

function sse(res, url, headers) {
  const frames = Math.min(Number(url.searchParams.get('frames') ?? 10), 500);
  const interval = Math.max(Number(url.searchParams.get('interval') ?? 20), 1);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  let i = 0;
  let timer;
  const send = () => {
    if (res.destroyed) return;
    if (i < frames) {
      res.write(chunk(i++));
      timer = setTimeout(send, interval);
    } else {
      res.end(`${USAGE_CHUNK}data: [DONE]\n\n`);
    }
  };
  res.flushHeaders();
  timer = setTimeout(send, interval);
  res.on('close', () => clearTimeout(timer));
}

function chatCompletion(body, res, url, headers) {
  const fail = Number(url.searchParams.get('fail') ?? 0);
  if (fail) {
    const code = fail === 429 ? 'rate_limit_exceeded' : 'server_error';
    const extra = fail === 429 ? { 'retry-after': '1' } : {};
    return sendJson(res, fail, { error: { message: `soak upstream ${fail}`, type: 'soak_upstream_error', param: null, code } }, { ...headers, ...extra });
  }
  let parsed = {};
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    /* answered as a plain completion */
  }
  if (parsed.stream) return sse(res, url, headers);
  const delay = Number(url.searchParams.get('delay') ?? 0);
  if (delay) {
    const timer = setTimeout(() => chatCompletion(body, res, new URL('/v1/chat/completions', url), headers), delay);
    return void res.on('close', () => clearTimeout(timer));
  }
  sendJson(
    res,
    200,
    {
      id: 'chatcmpl-soak',
      object: 'chat.completion',
      created: 1,
      model: parsed.model ?? 'gpt-4.1-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the soak upstream.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
    },
    headers,
  );
}

function handle(req, res) {
  const url = new URL(req.url, 'https://upstream');
  // The connection asking is not one of the proxy's.
  if (url.pathname === '/soak/seen')
    return void req.resume().on('end', () =>
      sendJson(
        res,
        200,
        (url.searchParams.get('ids') ?? '').split(',').filter((id) => seen.has(id)),
        {},
      ),
    );
  if (url.pathname === '/soak/stats')
    return void req.resume().on('end', () => sendJson(res, 200, { ...stats, openConnections: stats.openConnections - 1 }, {}));
  const id = ++stats.requests;
  seen.add(req.headers['x-soak-request']);
  stats.active++;
  stats.byRoute[url.pathname] = (stats.byRoute[url.pathname] ?? 0) + 1;
  if (req.headers.authorization !== expectedAuthorization) stats.wrongAuthorization++;
  if (req.headers['x-api-key'] !== undefined) stats.clientKeyHeader++;
  res.on('close', () => {
    stats.active--;
    if (res.writableFinished) stats.completed++;
    else stats.cancelled++;
  });
  const headers = openaiHeaders(id);
  // Large bodies are counted, never kept; small ones (chat requests) are kept to read `stream`.
  const kept = [];
  let bytes = 0;
  req.on('data', (c) => {
    bytes += c.length;
    if (bytes <= 64 * 1024) kept.push(c);
  });
  req.on('error', () => {});
  req.on('end', () => {
    if (url.pathname === '/v1/chat/completions') return chatCompletion(Buffer.concat(kept), res, url, headers);
    if (url.pathname === '/v1/audio/transcriptions') return sendJson(res, 200, { text: 'soak', bytes }, headers);
    if (url.pathname === '/v1/models')
      return sendJson(res, 200, { object: 'list', data: [{ id: 'gpt-4.1-mini', object: 'model', owned_by: 'openai' }] }, headers);
    sendJson(res, 404, { error: { message: 'unknown soak route', type: 'invalid_request_error', code: 'unknown_url' } }, headers);
  });
}

const server = https.createServer({ cert: readFileSync(join(TLS, 'server.pem')), key: readFileSync(join(TLS, 'server-key.pem')), requestTimeout: 0 }, handle);
// Keep-alive far longer than the proxy's upstream idle timeout (4 s), so the proxy always closes idle sockets
// first and a stale-socket race can never be the soak's fault.
server.keepAliveTimeout = 65_000;
server.on('secureConnection', (socket) => {
  stats.connections++;
  stats.openConnections++;
  socket.on('close', () => stats.openConnections--);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
