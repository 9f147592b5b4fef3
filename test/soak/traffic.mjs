// The soak's load: request kinds, the workers that send them, and the tally that classifies every outcome.
// Each kind knows what a correct answer looks like; anything else is a failure with a one-line reason
// (reasons never hold a key: keys are named by client and generation only).
import http from 'node:http';

const MiB = 1024 * 1024;

/** Share of requests per kind (weights). */
export const MIX = {
  json: 28,
  sse: 18,
  models: 4,
  upload: 5,
  uploadChunked: 4,
  abortStream: 8,
  abortUpload: 5,
  abortSmallUpload: 3,
  abortWaiting: 4,
  upstream429: 6,
  upstream500: 6,
  wrongKey: 6,
};

/** Seeded xorshift32, so a failing mix can be replayed with SOAK_SEED. */
export function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

let requestIds = 0;

/** Keys no response may carry, by name (guardKeys), and where one was found anyway. */
const guarded = [];
export const responseLeaks = [];
export const guardKeys = (keys) => guarded.push(...Object.entries(keys));

/** Checks a response's headers and body for every guarded key (CONTRACT.md 6: no key in an error body). */
export function scanForKeys(headers, text) {
  const all = `${JSON.stringify(headers ?? {})}\n${text}`;
  for (const [name, key] of guarded) if (all.includes(key) && responseLeaks.length < 100) responseLeaks.push(name);
}

export class Tally {
  constructor() {
    this.counts = {};
    this.failures = 0;
    this.samples = [];
    this.jsonMs = [];
  }

  add(kind, outcome, problem) {
    this.counts[kind] ??= {};
    const row = this.counts[kind];
    row[outcome] = (row[outcome] ?? 0) + 1;
    if (!problem) return;
    this.failures++;
    if (this.samples.length < 25) this.samples.push(`${kind}: ${problem}`);
  }

  total() {
    return Object.values(this.counts).reduce((n, row) => n + Object.values(row).reduce((a, b) => a + b, 0), 0);
  }
}

/**
 * One HTTP exchange with the proxy. `body` is sent in `chunkBytes` writes with backpressure (chunked unless
 * `contentLength`); `stopAfter` bytes into it the soak hangs up (an abandoned upload); `abortOnData` hangs up
 * at the first response byte (an abandoned stream); `timeoutIsAbort` makes the timeout a deliberate hang-up.
 * Every request carries a unique `x-soak-request` id. Resolves to { status, headers, text } or { aborted } or
 * { error, id }, never rejects.
 */
export function exchange(
  target,
  {
    method = 'POST',
    path,
    headers = {},
    body,
    contentLength = true,
    stopAfter,
    chunkBytes = 64 * 1024,
    abortOnData = false,
    timeoutMs = 30_000,
    timeoutIsAbort = false,
  },
) {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const id = String(++requestIds);
    const reqHeaders = { ...headers, 'x-soak-request': id };
    if (body && contentLength) reqHeaders['content-length'] = body.length;
    const req = http.request({ host: '127.0.0.1', port: target.port, agent: target.agent, method, path, headers: reqHeaders }, (res) => {
      if (abortOnData) {
        res.once('data', () => {
          req.destroy();
          done({ aborted: true, status: res.statusCode });
        });
      }
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        scanForKeys(res.headers, text);
        done({ status: res.statusCode, headers: res.headers, text });
      });
      res.on('error', () => {});
      res.on('close', () => done({ status: res.statusCode, error: 'response cut before its end' }));
    });
    req.on('error', (err) => done({ error: err.code ?? err.message, reused: req.reusedSocket, id }));
    const timer = setTimeout(() => {
      req.destroy();
      done(timeoutIsAbort ? { aborted: true } : { error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    if (!body || (body.length <= chunkBytes && stopAfter === undefined)) return void req.end(body);
    writeInChunks(req, body, stopAfter, chunkBytes).then((stopped) => {
      if (!stopped) return;
      req.destroy();
      done({ aborted: true });
    });
  });
}

/** Resolves true if it stopped at `stopAfter` (the caller hangs up), false once the body is sent or the request died. */
async function writeInChunks(req, body, stopAfter = Infinity, chunkBytes) {
  for (let at = 0; at < body.length; at += chunkBytes) {
    if (req.destroyed) return false;
    if (at >= stopAfter) return true;
    if (!req.write(body.subarray(at, at + chunkBytes))) await drainOrClose(req);
  }
  req.end();
  return false;
}

function drainOrClose(req) {
  return new Promise((resolve) => {
    const finish = () => {
      req.off('drain', finish);
      req.off('close', finish);
      resolve();
    };
    req.on('drain', finish);
    req.on('close', finish);
  });
}

const jsonHeaders = (auth) => ({ ...auth, 'content-type': 'application/json' });
const chatBody = (extra = {}) => Buffer.from(JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Say hi' }], ...extra }));
const parse = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * Turns a result into { outcome, problem }: the status as the outcome, a reason when it is not what `want`s.
 * A failed connection also says its error `code`, whether it was a `reused` keep-alive connection, and the
 * request's `id` (its x-soak-request header, which the fake upstream remembers).
 */
function judge(result, want, check = () => undefined) {
  if (result.error)
    return {
      outcome: result.status ? String(result.status) : 'network-error',
      problem: result.error,
      code: result.status ? undefined : result.error,
      reused: result.reused,
      id: result.id,
    };
  if (result.aborted) return { outcome: 'aborted', problem: want === 'aborted' ? undefined : 'aborted unexpectedly' };
  const outcome = String(result.status);
  if (outcome !== want) return { outcome, problem: `status ${outcome}, expected ${want}: ${result.text.slice(0, 120)}` };
  return { outcome, problem: check(result) };
}

/** The request kinds. Each takes (target, auth, random, upload buffer) and resolves to { outcome, problem }. */
export const KINDS = {
  async json(target, auth) {
    const r = await exchange(target, { path: '/v1/chat/completions', headers: jsonHeaders(auth), body: chatBody() });
    return judge(r, '200', (r) => (parse(r.text)?.choices?.[0]?.message?.content ? undefined : 'not a chat completion'));
  },

  async sse(target, auth, random) {
    const frames = 5 + Math.floor(random() * 26);
    const interval = 10 + Math.floor(random() * 30);
    const r = await exchange(target, {
      path: `/v1/chat/completions?frames=${frames}&interval=${interval}`,
      headers: jsonHeaders(auth),
      body: chatBody({ stream: true, stream_options: { include_usage: true } }),
    });
    return judge(r, '200', (r) => checkStream(r, frames));
  },

  async models(target, auth) {
    const r = await exchange(target, { method: 'GET', path: '/v1/models', headers: auth });
    return judge(r, '200', (r) => (parse(r.text)?.object === 'list' ? undefined : 'not a model list'));
  },

  upload: (target, auth, random, bytes) => upload(target, auth, random, bytes, true),
  uploadChunked: (target, auth, random, bytes) => upload(target, auth, random, bytes, false),

  async abortStream(target, auth) {
    const r = await exchange(target, {
      path: '/v1/chat/completions?frames=50&interval=30',
      headers: jsonHeaders(auth),
      body: chatBody({ stream: true }),
      abortOnData: true,
    });
    if (r.aborted && r.status !== 200) return { outcome: 'aborted', problem: `stream began with status ${r.status}` };
    return judge(r, 'aborted');
  },

  async abortUpload(target, auth, random, bytes) {
    const stopAfter = Math.floor((0.5 + random()) * MiB);
    const contentLength = random() < 0.5;
    const r = await exchange(target, {
      path: '/v1/audio/transcriptions',
      headers: { ...auth, 'content-type': 'audio/wav' },
      body: bytes.subarray(0, 4 * MiB),
      contentLength,
      stopAfter,
    });
    return judge(r, 'aborted');
  },

  /** Gone while the proxy still gathers a small body (no upstream request yet). */
  async abortSmallUpload(target, auth, random, bytes) {
    const r = await exchange(target, {
      path: '/v1/embeddings',
      headers: jsonHeaders(auth),
      body: bytes.subarray(0, 48 * 1024),
      stopAfter: 8 * 1024 + Math.floor(random() * 32 * 1024),
      chunkBytes: 8 * 1024,
    });
    return judge(r, 'aborted');
  },

  /** Gone while the proxy waits for the upstream's response headers. */
  async abortWaiting(target, auth, random) {
    const r = await exchange(target, {
      path: '/v1/chat/completions?delay=500',
      headers: jsonHeaders(auth),
      body: chatBody(),
      timeoutMs: 20 + Math.floor(random() * 200),
      timeoutIsAbort: true,
    });
    return judge(r, 'aborted');
  },

  upstream429: (target, auth) => upstreamError(target, auth, 429),
  upstream500: (target, auth) => upstreamError(target, auth, 500),

  async wrongKey(target, auth) {
    const r = await exchange(target, { path: '/v1/chat/completions', headers: jsonHeaders(auth), body: chatBody() });
    return judge(r, '401', (r) => (r.text === '{"error":"unauthorized"}' ? undefined : 'not the 401 body'));
  },
};

export function checkStream(r, frames) {
  if (!/^text\/event-stream/.test(r.headers['content-type'] ?? '')) return `content-type ${r.headers['content-type']}`;
  if (r.headers['x-accel-buffering'] !== 'no') return 'no x-accel-buffering: no';
  const chunks = r.text.split('chat.completion.chunk').length - 1;
  if (chunks !== frames + 1 || !r.text.endsWith('data: [DONE]\n\n')) return `stream incomplete: ${chunks} of ${frames + 1} chunks`;
  return undefined;
}

async function upload(target, auth, random, bytes, contentLength) {
  const size = Math.floor((1 + random() * 3) * MiB);
  const r = await exchange(target, {
    path: '/v1/audio/transcriptions',
    headers: { ...auth, 'content-type': 'audio/wav' },
    body: bytes.subarray(0, size),
    contentLength,
  });
  return judge(r, '200', (r) => (parse(r.text)?.bytes === size ? undefined : `upstream got ${parse(r.text)?.bytes} of ${size} bytes`));
}

async function upstreamError(target, auth, status) {
  const r = await exchange(target, { path: `/v1/chat/completions?fail=${status}`, headers: jsonHeaders(auth), body: chatBody() });
  return judge(r, String(status), (r) => {
    if (parse(r.text)?.error?.type !== 'soak_upstream_error') return 'not the upstream error body';
    if (!r.headers['x-request-id']) return 'x-request-id missing';
    if (status === 429 && r.headers['retry-after'] !== '1') return 'retry-after missing';
    return undefined;
  });
}

/** Picks a kind by the MIX weights. */
export function picker(random) {
  const entries = Object.entries(MIX);
  const total = entries.reduce((n, [, w]) => n + w, 0);
  return () => {
    let x = random() * total;
    for (const [kind, weight] of entries) {
      x -= weight;
      if (x < 0) return kind;
    }
    return entries[0][0];
  };
}
