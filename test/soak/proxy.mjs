// The proxy under soak: the built dist/main.js as a child, with the GC preload, watched line by line.
// Every stdout and stderr line is checked for the keys as it arrives (a 60 s soak writes tens of MB of request
// log, so nothing is kept but the events the soak waits for and a count of request lines).
import { readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as L from '../bench/lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
const MAIN_JS = join(ROOT, 'dist', 'main.js');
const PRELOAD = join(HERE, 'gc-preload.cjs');
export const CA_PEM = join(ROOT, 'test', 'fixtures', 'tls', 'ca.pem');

export class SoakProxy {
  /** `keys` are the strings that must never appear in the proxy's output; `env` is its whole environment. */
  constructor(env, keys) {
    this.keys = keys;
    this.events = [];
    this.requestLines = 0;
    /** Where a key showed up: "stdout line 1234" and the like (never the line itself). */
    this.leaks = [];
    this.memoryWaiters = [];
    this.eventWaiters = new Set();
    this.child = L.startChild('proxy', process.execPath, ['--expose-gc', '--require', PRELOAD, MAIN_JS], { env });
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
    this.child.on('exit', () => this.notify());
    eachLine(this.child.stdout, (line, n) => this.onStdout(line, n));
    eachLine(this.child.stderr, (line, n) => this.onStderr(line, n));
  }

  /** Resolves with the listening event once the proxy says where it listens. */
  async started() {
    const listening = await this.waitForEvent((e) => e.event === 'listening', 0, 15_000);
    this.port = listening.port;
    this.adminPort = listening.adminPort;
    return listening;
  }

  onStdout(line, n) {
    this.checkKeys(line, `stdout line ${n}`);
    // Request lines are the bulk; only count them.
    if (line.includes('"event":"request"')) return void this.requestLines++;
    try {
      this.events.push({ ...JSON.parse(line), receivedAt: performance.now() });
    } catch {
      this.events.push({ event: 'unparsed', receivedAt: performance.now() });
    }
    this.notify();
  }

  onStderr(line, n) {
    this.checkKeys(line, `stderr line ${n}`);
    if (!line.startsWith('{"event":"soak_memory"')) {
      this.events.push({ event: 'stderr', text: line.slice(0, 300), receivedAt: performance.now() });
      return;
    }
    const waiter = this.memoryWaiters.shift();
    waiter?.(JSON.parse(line));
  }

  checkKeys(text, where) {
    for (const [name, key] of Object.entries(this.keys)) if (text.includes(key)) this.leaks.push(`${name} key in ${where}`);
  }

  notify() {
    for (const check of this.eventWaiters) check();
  }

  /** The first event at index >= `from` matching `pred`; rejects after `ms` or if the proxy exits first. */
  waitForEvent(pred, from, ms) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(() => reject(new Error(`proxy: no matching event within ${ms} ms\n${this.child.stderrTail}`))), ms);
      const finish = (settle) => {
        clearTimeout(timer);
        this.eventWaiters.delete(check);
        settle();
      };
      const check = () => {
        const found = this.events.slice(from).find(pred);
        if (found) return finish(() => resolve(found));
        if (this.child.exitCode !== null || this.child.signalCode !== null)
          finish(() => reject(new Error(`proxy exited (${this.child.exitCode ?? this.child.signalCode})\n${this.child.stderrTail}`)));
      };
      this.eventWaiters.add(check);
      check();
    });
  }

  /** Open file descriptors of the proxy process right now. */
  fdCount() {
    return readdirSync(`/proc/${this.pid}/fd`).length;
  }

  /** What the open fds are, by kind (socket, pipe, anon_inode:[eventfd], or a file's path): for reports. */
  fdKinds() {
    const kinds = {};
    for (const fd of readdirSync(`/proc/${this.pid}/fd`)) {
      let target;
      try {
        target = readlinkSync(`/proc/${this.pid}/fd/${fd}`).replace(/:\[\d+\]$/, '');
      } catch {
        continue; // closed since the listing
      }
      kinds[target] = (kinds[target] ?? 0) + 1;
    }
    return kinds;
  }

  /** process.memoryUsage() of the proxy after a full GC (the preload answers SIGUSR2). */
  memoryAfterGc(ms = 10_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('proxy: no soak_memory line after SIGUSR2')), ms);
      this.memoryWaiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.child.kill('SIGUSR2');
    });
  }

  /** GET on the admin listener; resolves to { status, text }. */
  admin(path) {
    return get(this.adminPort, path);
  }

  /** The admin /metrics text, parsed into [{ name, labels, value }]. */
  async metrics() {
    const { text } = await this.admin('/metrics');
    this.checkKeys(text, '/metrics');
    return parseMetrics(text);
  }
}

/** GET on its own connection; with `tls.ca`, over HTTPS trusting that CA. Resolves to { status, text }. */
export function get(port, path, tls) {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, agent: false, timeout: 10_000 };
    const req = tls ? https.get({ ...options, ca: tls.ca }, onResponse) : http.get(options, onResponse);
    function onResponse(res) {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    }
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on('error', reject);
  });
}

function eachLine(stream, onLine) {
  let partial = '';
  let n = 0;
  stream.setEncoding('utf8');
  stream.on('data', (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop();
    for (const line of lines) onLine(line, ++n);
  });
  stream.on('end', () => partial && onLine(partial, ++n));
}

export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of a metric's samples, optionally grouped by one label: a number, or { labelValue: sum }. */
export function sumOf(samples, name, byLabel) {
  const matching = samples.filter((s) => s.name === name);
  if (!byLabel) return matching.reduce((n, s) => n + s.value, 0);
  const out = {};
  for (const s of matching) out[s.labels[byLabel]] = (out[s.labels[byLabel]] ?? 0) + s.value;
  return out;
}
