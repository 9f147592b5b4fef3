// Load clients for `make bench`, run as a child process so their event loop is not the orchestrator's.
//   node client.mjs '<json options>'  ->  one JSON result line on stdout
//   { mode: "sse", origin, key, streams, frames, intervalMs, rampMs }
//       opens `streams` concurrent SSE requests (spread over rampMs so no listen backlog overflows), parses
//       every frame, and records arrival - send time (both process.hrtime, i.e. CLOCK_MONOTONIC).
//   { mode: "upload" | "download", origin, key, bytes }
//       one request moving `bytes` through; reports MiB/s.
//   { mode: "ws", origin, key, messageBytes, totalBytes, window }
//       one WebSocket session on /v1/realtime sending text messages of messageBytes (a Realtime server event, an
//       audio delta) until totalBytes have gone out and come back echoed; at most `window` messages are out and
//       not yet echoed (the flow control a real client has from the socket's backpressure); reports MB/s echoed.
// Every run has a deadline: whatever is still open then is destroyed and counted as failed.
import http from 'node:http';

const opts = JSON.parse(process.argv[2]);
// Infinity sockets, no keep-alive: each stream is its own connection, as with 5,000 separate SDK clients.
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const { hostname, port } = new URL(opts.origin);
const headers = { 'x-api-key': opts.key, 'content-type': 'application/json' };
const finish = (result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;
}

function runSse() {
  const { streams, frames, intervalMs, rampMs } = opts;
  const delays = new Float64Array(streams * frames);
  let received = 0,
    done = 0,
    malformed = 0;
  const failures = {};
  const requests = [];
  const fail = (why) => (failures[why] = (failures[why] ?? 0) + 1);
  const started = performance.now();

  const open = () => {
    const req = http.request({ agent, hostname, port, method: 'POST', headers, path: `/v1/responses?frames=${frames}&interval=${intervalMs}` });
    requests.push(req);
    let settled = false;
    const settle = (why) => {
      if (settled) return;
      settled = true;
      if (why) fail(why);
      if (++done === streams) report();
    };
    req.on('error', (err) => settle(`error:${err.code ?? err.message}`));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return settle(`status:${res.statusCode}`);
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const now = process.hrtime.bigint();
        buf += chunk;
        for (let end = buf.indexOf('\n\n'); end !== -1; end = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (frame === 'data: [DONE]') continue;
          const t = /"t":"(\d+)"/.exec(frame);
          if (!t) {
            malformed++;
            continue;
          }
          if (received < delays.length) delays[received++] = Number(now - BigInt(t[1])) / 1e6;
        }
      });
      res.on('end', () => settle(null));
      res.on('error', (err) => settle(`error:${err.code ?? err.message}`));
    });
    req.end('{"model":"gpt-4.1-mini","input":"Count","stream":true}');
  };

  // Open in batches every 20 ms across rampMs.
  const batches = Math.max(1, Math.floor(rampMs / 20));
  const perBatch = Math.ceil(streams / batches);
  let opened = 0;
  const ramp = setInterval(() => {
    for (let i = 0; i < perBatch && opened < streams; i++) open(opened++);
    if (opened >= streams) clearInterval(ramp);
  }, 20);

  const deadline = setTimeout(
    () => {
      fail('deadline');
      for (const r of requests) r.destroy();
      report();
    },
    rampMs + frames * intervalMs + 30_000,
  );

  let reported = false;
  function report() {
    if (reported) return;
    reported = true;
    clearTimeout(deadline);
    clearInterval(ramp);
    const sorted = delays.subarray(0, received).sort();
    finish({
      streams,
      frames,
      expectedFrames: streams * frames,
      receivedFrames: received,
      lostFrames: streams * frames - received,
      malformed,
      failures,
      delayMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? null },
      wallMs: performance.now() - started,
    });
  }
}

function runTransfer() {
  const { mode, bytes } = opts;
  const upload = mode === 'upload';
  const started = performance.now();
  let moved = 0;
  const deadline = setTimeout(() => {
    req.destroy(new Error('deadline'));
  }, 300_000);
  const end = (error, status) => {
    clearTimeout(deadline);
    const seconds = (performance.now() - started) / 1000;
    finish({ mode, bytes, moved, status, error, seconds, mibPerSec: moved / 2 ** 20 / seconds });
  };
  const req = http.request({
    agent,
    hostname,
    port,
    method: 'POST',
    path: upload ? '/v1/audio/transcriptions' : `/v1/audio/speech?bytes=${bytes}`,
    headers: upload ? { ...headers, 'content-type': 'audio/wav', 'content-length': bytes } : headers,
  });
  req.on('error', (err) => end(err.code ?? err.message, null));
  req.on('response', (res) => {
    res.on('data', (c) => {
      if (!upload) moved += c.length;
    });
    res.on('end', () => end(res.statusCode === 200 ? null : `status ${res.statusCode}`, res.statusCode));
    res.on('error', (err) => end(err.code ?? err.message, res.statusCode));
  });
  if (!upload) return void req.end('{"model":"tts-1","input":"hello","voice":"alloy"}');
  const chunk = Buffer.alloc(256 * 1024, 0x41);
  const pump = () => {
    while (moved < bytes) {
      const n = Math.min(chunk.length, bytes - moved);
      moved += n;
      if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
    }
    req.end();
  };
  pump();
}

async function runWebSocket() {
  const { WebSocket } = await import('ws');
  const { messageBytes, totalBytes, window } = opts;
  const prefix = '{"type":"response.audio.delta","response_id":"resp_bench","item_id":"item_bench","output_index":0,"content_index":0,"delta":"';
  const payload = Buffer.from(`${prefix}${'A'.repeat(messageBytes - prefix.length - 2)}"}`);
  const count = Math.ceil(totalBytes / messageBytes);
  const url = `${opts.origin.replace(/^http/, 'ws')}/v1/realtime?model=gpt-4o-realtime-preview`;
  const ws = new WebSocket(url, { headers: { 'x-api-key': opts.key }, perMessageDeflate: false, maxPayload: 2 ** 20 });
  let sent = 0;
  let echoed = 0;
  let bytes = 0;
  let wrong = 0;
  let started = 0;
  let ended = false;
  const end = (error) => {
    if (ended) return;
    ended = true;
    clearTimeout(deadline);
    const seconds = (performance.now() - started) / 1000;
    ws.terminate();
    finish({ mode: 'ws', messageBytes, messages: echoed, bytes, wrong, error, seconds, mbPerSec: bytes / 1e6 / seconds });
  };
  const deadline = setTimeout(() => end('deadline'), 300_000);
  const pump = () => {
    while (sent < count && sent - echoed < window) {
      ws.send(payload, { binary: false });
      sent++;
    }
  };
  ws.on('open', () => {
    started = performance.now();
    pump();
  });
  ws.on('message', (data) => {
    echoed++;
    bytes += data.length;
    if (data.length !== payload.length) wrong++;
    if (echoed === count) end(wrong ? `${wrong} messages came back changed in length` : null);
    else pump();
  });
  ws.on('unexpected-response', (_req, res) => end(`status ${res.statusCode}`));
  ws.on('error', (err) => end(err.code ?? err.message));
  ws.on('close', (code) => end(`closed ${code} after ${echoed} of ${count} messages`));
}

if (opts.mode === 'sse') runSse();
else if (opts.mode === 'ws') runWebSocket();
else runTransfer();
