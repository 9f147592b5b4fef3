/**
 * What the three local demos share: the real built proxy (`node dist/main.js`) started as a child with the
 * settings a demo chooses, its log lines passed through to the terminal, /readyz watched, and Ctrl-C
 * stopping the proxy, the fakes and the temporary files in that order.
 *
 * Stable exports (test/demo/run.ts, keyless.ts, serviceaccount.ts):
 *   REPO_ROOT                     the repository (found from this file, compiled or not)
 *   CA_PEM                        the test CA the fakes' certificate is signed by
 *   demoKey(prefix)               a fresh random key, `<prefix>-<32 hex>`
 *   demoDir()                     a fresh temporary directory, removed when the demo stops
 *   demoPorts()                   { port, adminPort } as PORT / ADMIN_PORT ask (18443 / 9090 when unset)
 *   startDemoProxy(env, onStop)   -> Promise<DemoProxy>: resolves on the `listening` line; exits the demo
 *                                    (code 1) if the proxy stops before it; `onStop` runs when the demo stops
 *   DemoProxy                     { url, adminUrl, port, adminPort, logs, watchReadiness(print) }
 *   fingerprint(secret)           the first 8 hex of its SHA-256, as the proxy's log lines name secrets
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

function findRepoRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'Makefile')) && existsSync(join(dir, 'src'))) return dir;
  throw new Error(`no repository above ${from}`);
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const CA_PEM = join(REPO_ROOT, 'test', 'fixtures', 'tls', 'ca.pem');
const MAIN_JS = join(REPO_ROOT, 'dist', 'main.js');

export const demoKey = (prefix: string) => `${prefix}-${randomBytes(16).toString('hex')}`;
export const fingerprint = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 8);

const cleanups: Array<() => unknown> = [];

export function demoDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'openai-proxy-demo-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** PORT and ADMIN_PORT as the user set them; the proxy checks them and refuses what it cannot use. */
export function demoPorts(): { port: string; adminPort: string } {
  return { port: process.env.PORT || '18443', adminPort: process.env.ADMIN_PORT || '9090' };
}

export type LogLine = Record<string, unknown>;

export interface DemoProxy {
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
  logs: LogLine[];
  /** Prints each change of /readyz (status and body) until the demo stops. */
  watchReadiness(print: (line: string) => void): void;
}

/**
 * The proxy sees only the settings the demo gives it (and PATH, LOG_LEVEL): a key or config file in the
 * user's shell cannot turn a demo into something else.
 */
export function startDemoProxy(settings: Record<string, string>, onStop: () => Promise<unknown>): Promise<DemoProxy> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', ADMIN_HOST: '127.0.0.1', ...settings };
  if (process.env.LOG_LEVEL) env.LOG_LEVEL = process.env.LOG_LEVEL;
  const child = spawn(process.execPath, [MAIN_JS], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const logs: LogLine[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await onStop().catch(() => {});
    for (const cleanup of cleanups.splice(0)) cleanup();
    process.stdout.write('openai-proxy demo: stopped\n');
    process.exit(code);
  };
  // Ctrl-C reaches the proxy too (it is in the terminal's process group): it drains, then the demo ends.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  return new Promise((resolve) => {
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      process.stdout.write(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = parseLine(line);
        if (!parsed) continue;
        logs.push(parsed);
        if (parsed.event === 'listening') resolve(running(Number(parsed.port), Number(parsed.adminPort), logs, () => stopping));
      }
    });
    child.on('exit', (code) => {
      if (stopping) return;
      process.stderr.write(`openai-proxy demo: the proxy stopped (exit code ${code}); see its message above\n`);
      void stop(code || 1);
    });
  });
}

function parseLine(line: string): LogLine | undefined {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}

function running(port: number, adminPort: number, logs: LogLine[], stopped: () => boolean): DemoProxy {
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  return {
    url: `http://127.0.0.1:${port}`,
    adminUrl,
    port,
    adminPort,
    logs,
    watchReadiness(print) {
      let last = '';
      const poll = () => {
        if (stopped()) return;
        readiness(`${adminUrl}/readyz`).then((now) => {
          if (now !== last) print(`/readyz: ${now}`);
          last = now;
          setTimeout(poll, 100).unref();
        });
      };
      poll();
    },
  };
}

function readiness(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (text: string) => (body += text));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', (err) => resolve(`unreachable (${err.message})`));
  });
}
