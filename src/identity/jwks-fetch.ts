import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { MAX_JWKS_BYTES } from './jwks';

/** Where the key set comes from: the API server (or any HTTPS URL), or a file. */
export type JwksSource =
  | { kind: 'url'; url: string; bearerTokenFile?: string; caFile?: string }
  | { kind: 'file'; path: string };

/** The API server's own JWKS endpoint, as every Pod reaches it. */
export const IN_CLUSTER_JWKS_URL = 'https://kubernetes.default.svc/openid/v1/jwks';
/** Where the kubelet puts a Pod's own API token and the cluster CA. */
export const POD_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

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
        return fail(`HTTP ${res.statusCode}${res.statusCode === 401 || res.statusCode === 403 ? ' (is the proxy\'s own ServiceAccount token mounted, and may it read the issuer\'s keys?)' : ''}`);
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
