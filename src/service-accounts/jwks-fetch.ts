import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { Problem, JwksSource } from '../config/types';
import { IN_CLUSTER_JWKS_URL } from '../config/kubernetes';
import { MAX_JWKS_BYTES, parseJwks } from './jwks';

/** The whole fetch (connect, TLS, answer): a JWKS is a few KiB from inside the cluster. */
export const JWKS_FETCH_TIMEOUT_MS = 10_000;

/**
 * The JWKS document's text. Over HTTPS the bearer token and CA files are read at every fetch, because the
 * kubelet rotates the Pod's token file; TLS is always verified (against `caFile` alone when one is given).
 * Rejects with a message fit for a log line: it never holds the token.
 */
export async function fetchJwks(source: JwksSource, timeoutMs = JWKS_FETCH_TIMEOUT_MS): Promise<string> {
  if (source.kind === 'file') return readFile(source.path, 'utf8').catch((err) => Promise.reject(readError('jwks.file', source.path, err)));
  const token = source.bearerTokenFile ? (await readText('jwks.bearerTokenFile', source.bearerTokenFile)).trim() : undefined;
  const ca = source.caFile ? await readText('jwks.caFile', source.caFile) : undefined;
  return get(source.url, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, ca }, timeoutMs);
}

function readText(setting: string, path: string): Promise<string> {
  return readFile(path, 'utf8').catch((err) => Promise.reject(readError(setting, path, err)));
}

function readError(setting: string, path: string, err: NodeJS.ErrnoException): Error {
  return new Error(`cannot read ${setting} ${path}: ${err.code ?? err.message}`);
}

function get(url: string, options: https.RequestOptions, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (message: string) => reject(new Error(`GET ${url}: ${message}`));
    const req = https.get(url, { ...options, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return fail(
          `HTTP ${res.statusCode}${res.statusCode === 401 || res.statusCode === 403 ? " (is the proxy's own ServiceAccount token mounted, and may it read the issuer's keys?)" : ''}`,
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_JWKS_BYTES) req.destroy(new Error(`answer larger than ${MAX_JWKS_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => fail(err.message));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message));
    req.on('close', () => clearTimeout(timer));
  });
}

/**
 * Checked once at start, so a wrong path stops the start instead of leaving the proxy unready: the files a
 * fetch will read exist, and a JWKS file holds usable keys. The API server itself is only asked later.
 */
export function jwksStartProblems(source: JwksSource): Problem[] {
  const problems: Problem[] = [];
  const read = (setting: string, path: string, hint = ''): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      problems.push({ setting, message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}${hint}` });
      return undefined;
    }
  };
  if (source.kind === 'file') {
    const text = read('kubernetes.jwks.file', source.path);
    const parsed = text === undefined ? undefined : parseJwks(text);
    if (parsed && 'error' in parsed) problems.push({ setting: 'kubernetes.jwks.file', message: `${source.path} ${parsed.error}` });
    return problems;
  }
  const hint =
    source.url === IN_CLUSTER_JWKS_URL ? ' (the in-cluster default: run in a Pod with its ServiceAccount token mounted, or set kubernetes.jwks)' : '';
  if (source.bearerTokenFile) read('kubernetes.jwks.bearerTokenFile', source.bearerTokenFile, hint);
  if (source.caFile) read('kubernetes.jwks.caFile', source.caFile, hint);
  return problems;
}
