// The soak's closing checks on long streams: after the traffic, every per-client stream slot is free again;
// then SIGTERM with streams open drains them and exits 0. Each returns its figures and [name, ok, detail] checks.
import http from 'node:http';
import net from 'node:net';
import { checkStream, scanForKeys } from './traffic.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `n` SSE streams of `frames` chunks 50 ms apart, each on its own connection. `begun` resolves once every one
 * has its response headers (or failed); `done` with every result ({ status, headers, text } or { error }).
 */
export function openStreams(port, key, n, frames) {
  const started = [];
  const done = Array.from({ length: n }, () => {
    let begun;
    started.push(new Promise((resolve) => (begun = resolve)));
    return new Promise((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          agent: false,
          method: 'POST',
          path: `/v1/chat/completions?frames=${frames}&interval=50`,
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
        },
        (res) => {
          begun();
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            scanForKeys(res.headers, text);
            resolve({ status: res.statusCode, headers: res.headers, text });
          });
          res.on('close', () => resolve({ status: res.statusCode, error: 'stream cut' }));
        },
      );
      req.on('error', (err) => {
        begun();
        resolve({ error: err.code ?? err.message });
      });
      req.end(JSON.stringify({ model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: 'count' }] }));
    });
  });
  return { begun: Promise.race([Promise.all(started), sleep(15_000)]), done: Promise.all(done) };
}

const judged = (r, frames) => (r.error ? r.error : r.status !== 200 ? `status ${r.status}` : checkStream(r, frames));

/**
 * A client with `concurrentStreams: limit` gets exactly `limit` streams at once after the soak, and a 429 for
 * one more: a slot an abandoned or failed request never gave back would show up here.
 */
export async function streamSlotsFree(port, key, limit, tally) {
  const frames = 40;
  const streams = openStreams(port, key, limit, frames);
  await streams.begun;
  const [extra] = await openStreams(port, key, 1, 1).done;
  const results = await streams.done;
  const admitted = results.filter((r) => judged(r, frames) === undefined).length;
  for (const r of results) tally.add('slotProbe', r.error ? 'network-error' : String(r.status), judged(r, frames));
  const refused = extra.status === 429 && /rate_limit_exceeded/.test(extra.text ?? '');
  tally.add('slotProbe', extra.error ? 'network-error' : String(extra.status), refused ? undefined : 'one stream over the limit was not refused');
  return {
    report: { limit, admitted, oneMore: extra.status ?? extra.error },
    checks: [
      [
        `stream slots all free again: ${limit} streams admitted, one more refused`,
        admitted === limit && refused,
        `${admitted} of ${limit} admitted; one more: ${extra.status ?? extra.error}`,
      ],
    ],
  };
}

/**
 * Opens streams, sends SIGTERM once each has begun (and the caller's traffic has had a second to get going;
 * `onSigterm` tells it the signal is sent), and checks the proxy drains them and exits 0 in time.
 */
export async function drainOnSigterm(proxy, key, count, graceMs, tally, onSigterm) {
  const frames = 60; // 3 s
  const streams = openStreams(proxy.port, key, count, frames);
  await streams.begun;
  await sleep(1000);
  onSigterm();
  const sigtermAt = performance.now();
  const eventsBefore = proxy.events.length;
  proxy.child.kill('SIGTERM');
  await proxy.waitForEvent((e) => e.event === 'shutdown_started', eventsBefore, 5000).catch(() => undefined);
  const ready = await proxy.admin('/readyz').catch((e) => ({ status: e.code }));
  const refused = await connectRefused(proxy.port);
  const results = await streams.done;
  for (const r of results) tally.add('drainStream', r.error ? 'network-error' : String(r.status), judged(r, frames));
  const exit = await Promise.race([proxy.exited, sleep(graceMs + 10_000).then(() => ({ code: 'timeout' }))]);
  const done = proxy.events.find((e) => e.event === 'shutdown_complete');
  const drainMs = Math.round((exit.at ?? performance.now()) - sigtermAt);
  const completed = results.filter((r) => judged(r, frames) === undefined).length;
  return {
    report: { streams: count, completed, readyz: ready.status, refused, exitCode: exit.code ?? exit.signal, drainMs, graceMs },
    checks: [
      ['SIGTERM: readiness 503 while draining', ready.status === 503, `readyz ${ready.status}`],
      ['SIGTERM: new connections refused', refused, ''],
      ['SIGTERM: every open stream finished', completed === count, `${completed} of ${count}`],
      [
        'SIGTERM: exit 0 within SHUTDOWN_GRACE_MS',
        exit.code === 0 && drainMs < graceMs && done?.cut === 0,
        `exit ${exit.code ?? exit.signal} after ${drainMs} ms, cut ${done?.cut}`,
      ],
    ],
  };
}

function connectRefused(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (err) => resolve(err.code === 'ECONNREFUSED'));
  });
}
