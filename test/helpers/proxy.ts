/**
 * Runs the real built proxy (`node dist/main.js`) as a child process for integration tests.
 *
 * Stable exports (test/chart and test/integration import them):
 *   startProxy(t, opts)            -> Promise<RunningProxy>; waits for the first stdout line
 *                                     {"event":"listening","port":N,"adminPort":M}; the child is SIGKILLed in
 *                                     t.teardown if it is still running
 *     opts.env                     settings for this test (a value of undefined removes a default)
 *     opts.upstream                a FakeUpstream or a URL string: becomes OPENAI_BASE_URL
 *     opts.secrets                 more keys to guard that the env does not show (keys clients send that are
 *                                     not proxy keys, keys rotated in later); never expected upstream
 *     opts.tokenEndpoint           a FakeTokenEndpoint: every access token it issued is guarded as an upstream key (its place: Authorization: Bearer)
 *                                     (only as `authorization: Bearer`), every identity token it received as a
 *                                     client key (never upstream), read at teardown so later exchanges count
 *   Key safety, in every test: the teardown fails the test if a key handed to the proxy appears in its stdout,
 *   stderr or /metrics, or, with a FakeUpstream, anywhere in what the upstream received but the
 *   `authorization: Bearer <upstream key>` header (keyProblems in keys.ts: which keys, and how they are named)
 *   RunningProxy                   { url, adminUrl, port, adminPort, pid, child, logs, stdout, stderr, keys,
 *                                     waitForLog(pred, timeoutMs?), stop(signal?, timeoutMs?) -> exit code, exited }
 *   runProxyExpectingFailure(opts) -> Promise<{ code, stdout, stderr, logs }> for config errors (kills after 10 s)
 *   assertNoKeyLeak(t, proxy, keys, extraTexts?)
 *                                  asserts no key string occurs in the proxy's stdout, stderr, /metrics, or any
 *                                  text given (error bodies); failure messages name keys by fingerprint only
 *   baseEnv(upstreamUrl)           the env every test proxy gets
 *   spawnMain(env, args), waitForLogIn(collected, pred, ms), stopChild(collected, signal, ms)
 *                                  the child process plumbing, for other commands of dist/main.js (inject)
 *   fingerprint(key), randomKey(prefix), MAIN_JS, CA_PEM, REPO_ROOT
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { FakeTokenEndpoint } from './fake-token-endpoint';
import type { FakeUpstream } from './fake-upstream';
import { fingerprint, keyProblems, keysHandedToProxy, leaksIn, type KeySet } from './keys';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const MAIN_JS = join(REPO_ROOT, 'dist', 'main.js');
export const CA_PEM = join(REPO_ROOT, 'test', 'fixtures', 'tls', 'ca.pem');

interface TapLike {
  teardown(fn: () => unknown): void;
  ok(value: unknown, message: string): unknown;
}

export type LogLine = Record<string, any>;

export interface ProxyOptions {
  env?: Record<string, string | undefined>;
  upstream?: FakeUpstream | string;
  startTimeoutMs?: number;
  secrets?: string[];
  tokenEndpoint?: Pick<FakeTokenEndpoint, 'issued' | 'subjectTokens' | 'close'>;
}

export interface RunningProxy {
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
  pid: number;
  child: ChildProcess;
  /** Every stdout line that parsed as JSON, in order. */
  logs: LogLine[];
  /** Raw stdout and stderr so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** The keys the teardown guards; a test that rotates in new keys adds them here. */
  keys: KeySet;
  waitForLog(pred: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` (SIGTERM) and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export { fingerprint };
export const randomKey = (prefix: string) => `${prefix}-${randomBytes(16).toString('hex')}`;

/** Only what the proxy needs: nothing inherited from the developer's shell (no stray OPENAI_API_KEY). */
export function baseEnv(upstreamUrl?: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_EXTRA_CA_CERTS: CA_PEM,
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
  if (upstreamUrl) env.OPENAI_BASE_URL = upstreamUrl;
  return env;
}

function buildEnv(opts: ProxyOptions): Record<string, string> {
  const upstreamUrl = typeof opts.upstream === 'string' ? opts.upstream : opts.upstream?.url;
  const env = baseEnv(upstreamUrl);
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** A running `node dist/main.js` child, its output collected as it arrives. */
export interface Collected {
  child: ChildProcess;
  logs: LogLine[];
  out: { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  listeners: Set<() => void>;
}

/** `node dist/main.js ...args` with exactly `env`; the proxy without args, the injector with `inject`. */
export function spawnMain(env: Record<string, string>, args: string[] = []): Collected {
  const child = spawn(process.execPath, [MAIN_JS, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const out = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    out.stdout += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ unparsed: line });
      }
    }
    for (const notify of listeners) notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => {
      for (const notify of listeners) notify();
      done({ code, signal });
    }),
  );
  return { child, logs, out, exited, listeners };
}

export function waitForLogIn(c: Collected, pred: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
  return new Promise((resolvePromise, reject) => {
    const check = () => {
      const found = c.logs.find(pred);
      if (found) return finish(() => resolvePromise(found));
      if (c.child.exitCode !== null || c.child.signalCode !== null) {
        finish(() => reject(new Error(`proxy exited (${c.child.exitCode ?? c.child.signalCode}) before the awaited log line; stderr: ${c.out.stderr}`)));
      }
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for a log line; stderr: ${c.out.stderr}`))),
      timeoutMs,
    );
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      c.listeners.delete(check);
      settle();
    };
    c.listeners.add(check);
    check();
  });
}

export async function startProxy(t: TapLike, opts: ProxyOptions = {}): Promise<RunningProxy> {
  const env = buildEnv(opts);
  const keys = keysHandedToProxy(env);
  keys.client.push(...(opts.secrets ?? []));
  const fake = typeof opts.upstream === 'object' ? opts.upstream : undefined;
  fake?.watchKeys([...keys.upstream, ...keys.client]);
  const c = spawnMain(env);
  let adminUrl: string | undefined;
  t.teardown(() => guardKeys(c, adminUrl, keys, env, fake, opts.tokenEndpoint));
  const listening = await waitForLogIn(c, (l) => l.event === 'listening', opts.startTimeoutMs ?? 15_000);
  const port = Number(listening.port);
  const adminPort = Number(listening.adminPort);
  adminUrl = `http://127.0.0.1:${adminPort}`;
  return {
    url: `http://127.0.0.1:${port}`,
    adminUrl,
    port,
    adminPort,
    pid: c.child.pid!,
    child: c.child,
    logs: c.logs,
    get stdout() {
      return c.out.stdout;
    },
    get stderr() {
      return c.out.stderr;
    },
    keys,
    waitForLog: (pred, timeoutMs = 10_000) => waitForLogIn(c, pred, timeoutMs),
    stop: (signal = 'SIGTERM', timeoutMs = 40_000) => stopChild(c, signal, timeoutMs),
    exited: c.exited,
  };
}

/** Sends `signal` and resolves with the exit code; SIGKILL after `timeoutMs`. */
export async function stopChild(c: Collected, signal: NodeJS.Signals, timeoutMs: number): Promise<number | null> {
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill(signal);
  const timer = setTimeout(() => c.child.kill('SIGKILL'), timeoutMs);
  const { code } = await c.exited;
  clearTimeout(timer);
  return code;
}

/** The teardown: read /metrics while the child still runs, stop it, then fail the test on any misplaced key. */
async function guardKeys(
  c: Collected,
  adminUrl: string | undefined,
  keys: KeySet,
  env: Record<string, string>,
  fake: FakeUpstream | undefined,
  tokens: ProxyOptions['tokenEndpoint'],
): Promise<void> {
  keys.accessTokens = [...(keys.accessTokens ?? []), ...(tokens?.issued ?? [])];
  keys.client.push(...(tokens?.subjectTokens() ?? []));
  const running = c.child.exitCode === null && c.child.signalCode === null;
  const metrics = running && adminUrl ? (await fetchText(`${adminUrl}/metrics`, 5000).catch(() => ({ text: '' }))).text : '';
  if (running) c.child.kill('SIGKILL');
  await c.exited;
  const problems = keyProblems({ stdout: c.out.stdout, stderr: c.out.stderr, '/metrics': metrics }, keys, env, fake);
  if (problems.length === 0) return;
  // Throwing skips the teardowns registered before this one: close the fakes here, or they hold the test open.
  await Promise.all([fake?.close(), tokens?.close()].map((closing) => closing?.catch(() => {})));
  throw new Error(`key safety: ${problems.join('; ')}`);
}

export interface FailedStart {
  code: number | null;
  stdout: string;
  stderr: string;
  logs: LogLine[];
}

/** Runs the proxy expecting it to refuse to start; a proxy that starts anyway is killed after `timeoutMs`. */
export async function runProxyExpectingFailure(opts: ProxyOptions & { timeoutMs?: number } = {}): Promise<FailedStart> {
  const c = spawnMain(buildEnv(opts));
  const timer = setTimeout(() => c.child.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
  const { code } = await c.exited;
  clearTimeout(timer);
  return { code, stdout: c.out.stdout, stderr: c.out.stderr, logs: c.logs };
}

/** Fetches a URL's text with Node's fetch (no key involved); used for /metrics and friends. */
export async function fetchText(url: string, timeoutMs = 10_000): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

/**
 * Every test that holds keys ends with this: no key in the proxy's stdout, stderr, metrics, or the given
 * texts (error bodies the test received). Messages name keys by fingerprint so a failure prints no key.
 */
export async function assertNoKeyLeak(t: TapLike, proxy: RunningProxy, keys: string[], extraTexts: string[] = []): Promise<void> {
  let metrics = '';
  if (proxy.child.exitCode === null && proxy.child.signalCode === null) {
    metrics = (await fetchText(`${proxy.adminUrl}/metrics`).catch(() => ({ status: 0, text: '' }))).text;
  }
  const places: Array<[string, string]> = [
    ['stdout', proxy.stdout],
    ['stderr', proxy.stderr],
    ['/metrics', metrics],
    ...extraTexts.map((text, i): [string, string] => [`response text #${i}`, text]),
  ];
  for (const key of keys) {
    const [leak] = leaksIn(places, [key]);
    t.ok(!leak, `key ${fingerprint(key)} appears nowhere in logs, metrics or bodies${leak ? ` (${leak})` : ''}`);
  }
}
