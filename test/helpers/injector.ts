/**
 * Runs the real built sidecar injector (`node dist/main.js inject`) as a child process, and talks to it the
 * way the API server does: an AdmissionReview v1 POSTed over HTTPS.
 *
 * Stable exports:
 *   startInjector(t, opts)         -> Promise<RunningInjector>; waits for {"event":"listening"}; SIGKILLed in
 *                                     t.teardown if still running. Key safety: the teardown fails the test if
 *                                     the serving key's PEM body shows in stdout, stderr or /metrics
 *     opts.config                  INJECT_CONFIG path (required)
 *     opts.cert / opts.key         serving certificate and key files (default the test CA's localhost pair)
 *     opts.env                     more settings (a value of undefined removes a default)
 *   RunningInjector                { url, adminUrl, port, adminPort, pid, logs, stdout, stderr,
 *                                     waitForLog(pred, ms?), stop(signal?, ms?) -> exit code }
 *   injectorEnv(config, cert, key) the env startInjector gives it
 *   review(url, body, opts?)       -> { status, json, text, certificate }: POST <url>/inject; body is an object
 *                                     (sent as JSON) or a Buffer/string (sent as is); opts.ca / opts.servername
 *                                     to trust another CA than the test CA (the chart's)
 *   admissionReview(pod, request?) -> an AdmissionReview v1 as the API server sends it for a Pod CREATE
 *   fixturePod(name)               a Pod from test/fixtures/admission/<name>.json (a fresh copy each call)
 *   patchedPod(pod, response)      the Pod after the response's JSONPatch, applied strictly (fast-json-patch
 *                                     validates every operation: a path that does not exist fails)
 *   SERVER_CERT / SERVER_KEY / NEXT_CERT / NEXT_KEY   test PKI files (both pairs signed by the test CA)
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { applyPatch, type Operation } from 'fast-json-patch';
import { leaksIn } from './keys';
import { CA_PEM, REPO_ROOT, fetchText, spawnMain, stopChild, waitForLogIn, type Collected, type LogLine } from './proxy';

const TLS = join(REPO_ROOT, 'test', 'fixtures', 'tls');
export const SERVER_CERT = join(TLS, 'server.pem');
export const SERVER_KEY = join(TLS, 'server-key.pem');
export const NEXT_CERT = join(TLS, 'server-next.pem');
export const NEXT_KEY = join(TLS, 'server-next-key.pem');

type K8s = Record<string, any>;

interface TapLike {
  teardown(fn: () => unknown): void;
}

export interface InjectorOptions {
  config: string;
  cert?: string;
  key?: string;
  env?: Record<string, string | undefined>;
}

export interface RunningInjector {
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
  pid: number;
  logs: LogLine[];
  readonly stdout: string;
  readonly stderr: string;
  waitForLog(pred: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export function injectorEnv(config: string, cert = SERVER_CERT, key = SERVER_KEY): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    INJECT_CONFIG: config,
    INJECT_TLS_CERT_FILE: cert,
    INJECT_TLS_KEY_FILE: key,
    INJECT_HOST: '127.0.0.1',
    INJECT_PORT: '0',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: '0',
  };
}

export async function startInjector(t: TapLike, opts: InjectorOptions): Promise<RunningInjector> {
  const env = injectorEnv(opts.config, opts.cert, opts.key);
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const c = spawnMain(env, ['inject']);
  let adminUrl: string | undefined;
  t.teardown(() => guardServingKey(c, adminUrl, env.INJECT_TLS_KEY_FILE));
  const listening = await waitForLogIn(c, (l) => l.event === 'listening', 15_000);
  adminUrl = `http://127.0.0.1:${listening.adminPort}`;
  return {
    url: `https://localhost:${listening.port}`,
    adminUrl,
    port: Number(listening.port),
    adminPort: Number(listening.adminPort),
    pid: c.child.pid!,
    logs: c.logs,
    get stdout() {
      return c.out.stdout;
    },
    get stderr() {
      return c.out.stderr;
    },
    waitForLog: (pred, timeoutMs = 10_000) => waitForLogIn(c, pred, timeoutMs),
    stop: (signal = 'SIGTERM', timeoutMs = 20_000) => stopChild(c, signal, timeoutMs),
  };
}

/** The serving key is the one secret the injector holds: no line of its PEM body may show anywhere it writes. */
async function guardServingKey(c: Collected, adminUrl: string | undefined, keyFile: string | undefined): Promise<void> {
  const running = c.child.exitCode === null && c.child.signalCode === null;
  const metrics = running && adminUrl ? (await fetchText(`${adminUrl}/metrics`, 5000).catch(() => ({ text: '' }))).text : '';
  if (running) c.child.kill('SIGKILL');
  await c.exited;
  let pem = '';
  try {
    pem = keyFile ? readFileSync(keyFile, 'utf8') : '';
  } catch {
    return; // a test's temp key already removed: nothing left to compare with
  }
  const lines = pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
  const leaks = leaksIn(Object.entries({ stdout: c.out.stdout, stderr: c.out.stderr, '/metrics': metrics }), lines);
  if (leaks.length > 0) throw new Error(`serving key safety: ${leaks.join('; ')}`);
}

export interface ReviewReply {
  status: number;
  text: string;
  json: K8s | undefined;
  /** The certificate the injector presented on this connection. */
  certificate: PeerCertificate;
}

export function review(url: string, body: unknown, opts: { ca?: string; servername?: string; headers?: Record<string, string> } = {}): Promise<ReviewReply> {
  const payload = Buffer.isBuffer(body) || typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(`${url}/inject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': payload.length, ...opts.headers },
      // A new connection each time, so a rotated certificate shows on the next call.
      agent: false,
      ca: opts.ca ?? readFileSync(CA_PEM, 'utf8'),
      servername: opts.servername,
    });
    req.on('response', (res) => {
      const certificate = (res.socket as TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: K8s | undefined;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, text, json, certificate });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

let uidCounter = 0;

/** The review the API server sends for a Pod CREATE: the namespace is in the request, not always in the Pod. */
export function admissionReview(pod: K8s, request: K8s = {}): K8s {
  uidCounter++;
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: `0f6c1a52-8d3e-4b7a-9c21-${String(uidCounter).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'team-a',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: '8b3e4a0c-3f5f-4f8e-a2d6-0d6c1c2b9e11',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
      ...request,
    },
  };
}

export function fixturePod(name: string): K8s {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'admission', `${name}.json`), 'utf8'));
}

export function patchedPod(pod: K8s, response: K8s): K8s {
  if (response.patchType !== 'JSONPatch') throw new Error(`no JSONPatch in the response (patchType ${response.patchType})`);
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as Operation[];
  return applyPatch(structuredClone(pod), ops, true, false).newDocument;
}
