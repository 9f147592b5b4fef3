/**
 * A real redis-server for a test: its own free port, its own temp dir, never a system service.
 *
 * Stable exports:
 *   startRedis(t, opts?) -> Promise<RedisServer>; teardown stops it
 *     opts.user        { name, password, rules? }: an ACL user (rules default `~* &* +@all`), and `default` off
 *     opts.tls         TLS only (`--port 0`, the test CA's localhost certificate); url is rediss://localhost:<port>
 *     opts.debug       `--enable-debug-command yes` (for DEBUG SLEEP)
 *     opts.appendOnly  every write fsynced to an append-only file, so a killed server restarts with its data
 *     opts.args        more redis-server arguments
 *   RedisServer        { url, port, dir, kill(signal?), restart(), stop(), logs() }
 *     url              redis://127.0.0.1:<port> (no credentials in it)
 *     kill(signal)     signal (default SIGKILL) and wait for the exit
 *     restart()        start again on the same port and dir; resolves once it answers
 *     logs()           what the server wrote so far (for failure messages)
 *   redisServerBinary  REDIS_SERVER, else `redis-server` on the PATH
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { closedPort } from './ports';
import { tempDir } from './tmp';

export const redisServerBinary = process.env.REDIS_SERVER || 'redis-server';
const FIXTURES = join(__dirname, '..', 'fixtures', 'tls');

export interface RedisServerOptions {
  user?: { name: string; password: string; rules?: string };
  tls?: boolean;
  debug?: boolean;
  appendOnly?: boolean;
  args?: string[];
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
}

export async function startRedis(t: { teardown(fn: () => unknown): void }, opts: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = tempDir(t);
  let child: ChildProcess | undefined;
  let output = '';
  let port = 0;
  const launch = async () => {
    const started = spawn(redisServerBinary, argsFor(port, dir, opts), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await untilAnswering(started, port, opts.tls === true, () => output);
  };
  for (let attempt = 1; ; attempt++) {
    port = await closedPort();
    try {
      await launch();
      break;
    } catch (err) {
      // Another process may take the port between our probe and redis-server's bind.
      if (attempt >= 5 || !/Address already in use/.test(output)) throw err;
      output = '';
    }
  }
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill(signal);
    });
  };
  const server: RedisServer = {
    url: `${opts.tls ? 'rediss://localhost' : 'redis://127.0.0.1'}:${port}`,
    port,
    dir,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: () => kill('SIGTERM'),
    logs: () => output,
  };
  t.teardown(() => server.stop());
  return server;
}

function argsFor(port: number, dir: string, opts: RedisServerOptions): string[] {
  const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--loglevel', 'warning'];
  args.push('--appendonly', opts.appendOnly ? 'yes' : 'no');
  if (opts.appendOnly) args.push('--appendfsync', 'always');
  if (opts.tls) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no');
    args.push(
      '--tls-cert-file',
      join(FIXTURES, 'server.pem'),
      '--tls-key-file',
      join(FIXTURES, 'server-key.pem'),
      '--tls-ca-cert-file',
      join(FIXTURES, 'ca.pem'),
    );
  } else {
    args.push('--port', String(port));
  }
  if (opts.user) {
    args.push('--user', 'default', 'off');
    args.push('--user', opts.user.name, 'on', `>${opts.user.password}`, ...(opts.user.rules ?? '~* &* +@all').split(' '));
  }
  if (opts.debug) args.push('--enable-debug-command', 'yes');
  return [...args, ...(opts.args ?? [])];
}

/** Ready when it answers a PING (PONG, or NOAUTH when a password is needed): connecting, never sleeping. */
async function untilAnswering(child: ChildProcess, port: number, useTls: boolean, logs: () => string): Promise<void> {
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start ${redisServerBinary}: ${err.message} (set REDIS_SERVER or install redis-server)`)));
    child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${code ?? signal}) before answering:\n${logs()}`)));
  });
  exited.catch(() => {});
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await Promise.race([ping(port, useTls), exited])) return;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 20)), exited]);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port} within 10 s:\n${logs()}`);
}

function ping(port: number, useTls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = useTls
      ? tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(join(FIXTURES, 'ca.pem')) })
      : net.connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once(useTls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'));
    });
    socket.once('error', () => done(false));
  });
}
