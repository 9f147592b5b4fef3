// The redis-server of `make bench`'s shared-limits row: started here on loopback (a free port, a directory of
// its own, no persistence), and read through RESP on a connection of the bench's own, so its counters show what
// the proxy asked of it: calls per command (INFO commandstats) and, from /proc, the CPU it spent.
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import * as L from './lib.mjs';

export async function startRedis(bin, parentDir) {
  const dir = join(parentDir, 'redis');
  mkdirSync(dir, { recursive: true });
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await L.freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    const child = L.startChild('redis-server', bin, args);
    child.stdout.resume();
    let dead = false;
    child.on('exit', () => (dead = true));
    if (await L.waitForPort(port, 5000, () => dead)) {
      return {
        pid: child.pid,
        port,
        url: `redis://127.0.0.1:${port}`,
        version: String(await command(port, ['INFO', 'server'])).match(/^redis_version:(\S+)/m)?.[1],
      };
    }
    // Another process took the port between freePort() and redis-server's bind: try another.
    L.log(`redis-server did not start on port ${port} (attempt ${attempt})`);
    child.kill('SIGTERM');
  }
  throw new Error('redis-server would not start');
}

/** One command on a connection of its own; resolves to its reply (a string, a number, or an error's message). */
export function command(port, args) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error(`redis ${args[0]}: no reply within 5 s`)), 5000);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const reply = parseReply(buffered);
      if (reply === undefined) return;
      clearTimeout(timer);
      socket.end();
      if (reply instanceof Error) reject(reply);
      else resolve(reply);
    });
    socket.write(args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).reduce((acc, part) => acc + part, `*${args.length}\r\n`));
  });
}

/** A whole RESP2 reply of one line or one bulk string, or undefined while more is to come. */
function parseReply(buf) {
  const eol = buf.indexOf('\r\n');
  if (eol === -1) return undefined;
  const line = buf.subarray(1, eol).toString();
  switch (String.fromCharCode(buf[0])) {
    case '+':
      return line;
    case ':':
      return Number(line);
    case '-':
      return new Error(`redis: ${line}`);
    case '$': {
      const length = Number(line);
      if (length < 0) return null;
      if (buf.length < eol + 2 + length + 2) return undefined;
      return buf.subarray(eol + 2, eol + 2 + length).toString();
    }
    default:
      return new Error(`redis: unexpected reply ${JSON.stringify(buf.subarray(0, 40).toString())}`);
  }
}

/** Calls so far per command (commands run inside scripts are counted too, under their own names). */
export async function commandCalls(port) {
  const text = String(await command(port, ['INFO', 'commandstats']));
  const calls = {};
  for (const [, name, n] of text.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) calls[name] = Number(n);
  return calls;
}

/**
 * What the proxy asked of Redis between two commandCalls() readings, per request: `sent` (EVALSHA and EVAL,
 * what goes over the wire), `others` (the commands those scripts ran) and `byCommand`. The bench's own INFO
 * calls are left out.
 */
export function callsPerRequest(before, after, requests) {
  const byCommand = {};
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0);
    if (d > 0 && name !== 'info') byCommand[name] = d / requests;
  }
  const sent = (byCommand.evalsha ?? 0) + (byCommand.eval ?? 0);
  const total = Object.values(byCommand).reduce((a, b) => a + b, 0);
  return { sent, others: total - sent, total, byCommand };
}

/**
 * The p50 of a bare round trip to Redis at rest: PING on one connection, the next sent 1 ms after the reply, as
 * a proxy at one connection asks an otherwise idle Redis. What the admission's round trip cannot go below.
 */
export async function restingRoundTripMs(port, n = 1000) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const times = [];
  for (let i = 0; i < n; i++) {
    await L.sleep(1);
    const started = performance.now();
    await new Promise((resolve) => {
      socket.once('data', resolve);
      socket.write('*1\r\n$4\r\nPING\r\n');
    });
    times.push(performance.now() - started);
  }
  socket.destroy();
  return L.median(times);
}
