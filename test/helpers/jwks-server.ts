/**
 * A stand-in for the API server's JWKS endpoint: HTTPS with the test CA's localhost certificate (or the rogue
 * self-signed one), on port 0.
 *
 * Stable exports:
 *   startJwksServer(opts)  -> Promise<JwksServer>
 *     opts.t               tap test: close() is registered with t.teardown
 *     opts.document        the JWKS text served (change it later with `server.document = ...`)
 *     opts.bearer          when set, only `Authorization: Bearer <bearer>` gets the document; others get 401
 *     opts.rogue           serve the self-signed certificate no test CA vouches for
 *   JwksServer             { url (`https://localhost:<port>/openid/v1/jwks`), document, bearer, status,
 *                            requests: { path, authorization }[], close() }
 *     status               set to answer every request with this status instead (e.g. 503)
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const TLS = join(__dirname, '..', 'fixtures', 'tls');

export interface JwksServer {
  url: string;
  document: string;
  bearer: string | undefined;
  status: number | undefined;
  requests: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startJwksServer(opts: {
  t?: { teardown(fn: () => unknown): void };
  document: string;
  bearer?: string;
  rogue?: boolean;
}): Promise<JwksServer> {
  const name = opts.rogue ? 'rogue' : 'server';
  const server = createServer({ cert: readFileSync(join(TLS, `${name}.pem`)), key: readFileSync(join(TLS, `${name}-key.pem`)) });
  const state: JwksServer = {
    url: '',
    document: opts.document,
    bearer: opts.bearer,
    status: undefined,
    requests: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined),
  };
  server.on('request', (req, res) => {
    state.requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const status = state.status ?? (state.bearer !== undefined && req.headers.authorization !== `Bearer ${state.bearer}` ? 401 : 200);
    const body = status === 200 ? state.document : JSON.stringify({ kind: 'Status', code: status });
    res.writeHead(status, { 'content-type': status === 200 ? 'application/jwk-set+json' : 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `https://localhost:${(server.address() as AddressInfo).port}/openid/v1/jwks`;
  opts.t?.teardown(() => {
    server.closeAllConnections();
    return state.close();
  });
  return state;
}
