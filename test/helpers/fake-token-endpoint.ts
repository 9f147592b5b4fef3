/**
 * A fake token endpoint over HTTPS (the test CA's localhost certificate), listening on port 0: OpenAI's
 * `POST /oauth/token` (RFC 8693, JSON) and Entra's `POST /<tenant>/oauth2/v2.0/token` (form) alike.
 *
 * Stable exports:
 *   startFakeTokenEndpoint(opts?)  -> Promise<FakeTokenEndpoint>
 *     opts.t                       tap test: close() is registered with t.teardown
 *     opts.rogue                   serve the self-signed rogue certificate (a host that cannot prove who it is)
 *   FakeTokenEndpoint              { origin, tokenUrl, exchanges, issued, answers, otherwise, maxConcurrent,
 *                                    subjectTokens(), waitForExchanges(n, timeoutMs?), close() }
 *     origin                       `https://localhost:<port>` (an Azure authorityHost)
 *     tokenUrl                     `<origin>/oauth/token` (an OpenAI tokenUrl)
 *     exchanges                    every TokenExchange in arrival order
 *     issued                       every access token handed out (the key guard treats them as upstream keys)
 *     answers                      TokenAnswers for the next exchanges, consumed in order
 *     otherwise                    the answer once `answers` is empty (default: a token valid for 3600 s)
 *     maxConcurrent                the most exchanges that were open at one time
 *   TokenExchange                  method, url, headers, contentType, body (text), fields (JSON or form, parsed),
 *                                  subjectToken (`subject_token` or `client_assertion`), receivedAt, issued
 *   identityToken(claims?)         a JWT-shaped projected ServiceAccount token (random signature), for token files
 *   TokenAnswer                    { token: { expiresIn?: number | null } } (null: no expires_in at all)
 *                                  | { error: { status, body? } } | { garbage: { status, body, contentType? } }
 *                                  | { hang: true } | { reset: true } | { delayMs, then: TokenAnswer }
 *                                  | { trickle: { intervalMs } } (a 200 head, then one byte every intervalMs, never ending)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sleep } from './fake-upstream';

const TLS = join(__dirname, '..', 'fixtures', 'tls');

export interface TokenExchange {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  contentType: string;
  body: string;
  fields: Record<string, string>;
  subjectToken: string | undefined;
  receivedAt: number;
  /** The access token answered, if one was. */
  issued?: string;
}

export type TokenAnswer =
  | { token: { expiresIn?: number | null } }
  | { error: { status: number; body?: unknown } }
  | { garbage: { status: number; body: string; contentType?: string } }
  | { hang: true }
  | { reset: true }
  | { delayMs: number; then: TokenAnswer }
  | { trickle: { intervalMs: number } };

export interface FakeTokenEndpoint {
  origin: string;
  tokenUrl: string;
  exchanges: TokenExchange[];
  issued: string[];
  answers: TokenAnswer[];
  otherwise: TokenAnswer;
  maxConcurrent: number;
  subjectTokens(): string[];
  waitForExchanges(count: number, timeoutMs?: number): Promise<TokenExchange[]>;
  close(): Promise<void>;
}

export const accessToken = () => `at-fake-${randomBytes(24).toString('hex')}`;

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
export function identityToken(claims: Record<string, unknown> = {}): string {
  const payload = {
    iss: 'https://kubernetes.default.svc.cluster.local',
    sub: 'system:serviceaccount:ai:openai-proxy',
    aud: ['https://api.openai.com/v1'],
    exp: Math.floor(Date.now() / 1000) + 3600,
    jti: randomBytes(8).toString('hex'),
    ...claims,
  };
  return `${b64url('{"alg":"RS256","kid":"test"}')}.${b64url(JSON.stringify(payload))}.${b64url(randomBytes(64))}`;
}

export async function startFakeTokenEndpoint(opts: { t?: { teardown(fn: () => unknown): void }; rogue?: boolean } = {}): Promise<FakeTokenEndpoint> {
  const [cert, key] = opts.rogue ? ['rogue.pem', 'rogue-key.pem'] : ['server.pem', 'server-key.pem'];
  const server = createServer({ cert: readFileSync(join(TLS, cert)), key: readFileSync(join(TLS, key)) });
  let open = 0;
  const fake: FakeTokenEndpoint = {
    origin: '',
    tokenUrl: '',
    exchanges: [],
    issued: [],
    answers: [],
    otherwise: { token: {} },
    maxConcurrent: 0,
    subjectTokens: () => [...new Set(fake.exchanges.map((e) => e.subjectToken).filter((s): s is string => !!s))],
    waitForExchanges: (count, timeoutMs = 15_000) =>
      waitUntil(() => fake.exchanges.length >= count, timeoutMs, `${count} token exchanges`).then(() => fake.exchanges),
    close: async () => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record = recordOf(req, Buffer.concat(chunks).toString('utf8'));
      fake.exchanges.push(record);
      open++;
      fake.maxConcurrent = Math.max(fake.maxConcurrent, open);
      res.on('close', () => open--);
      void answer(fake, fake.answers.shift() ?? fake.otherwise, record, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  fake.tokenUrl = `${fake.origin}/oauth/token`;
  opts.t?.teardown(() => fake.close());
  return fake;
}

function recordOf(req: IncomingMessage, body: string): TokenExchange {
  const contentType = String(req.headers['content-type'] ?? '');
  let fields: Record<string, string> = {};
  try {
    fields = contentType.startsWith('application/json') ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body));
  } catch {
    fields = {};
  }
  const subjectToken = fields.subject_token ?? fields.client_assertion;
  return { method: req.method ?? '', url: req.url ?? '', headers: req.headers, contentType, body, fields, subjectToken, receivedAt: Date.now() };
}

async function answer(fake: FakeTokenEndpoint, how: TokenAnswer, record: TokenExchange, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if ('delayMs' in how) {
    await sleep(how.delayMs);
    return answer(fake, how.then, record, req, res);
  }
  if ('hang' in how) return;
  if ('trickle' in how) {
    res.writeHead(200, { 'content-type': 'application/json' });
    while (!res.destroyed) {
      res.write(' ');
      await sleep(how.trickle.intervalMs);
    }
    return;
  }
  if ('reset' in how) return void req.socket.destroy();
  if ('error' in how)
    return send(res, how.error.status, 'application/json', JSON.stringify(how.error.body ?? { error: 'invalid_grant', error_description: 'fake refusal' }));
  if ('garbage' in how) return send(res, how.garbage.status, how.garbage.contentType ?? 'application/json', how.garbage.body);
  const token = accessToken();
  record.issued = token;
  fake.issued.push(token);
  const expires = how.token.expiresIn === null ? {} : { expires_in: how.token.expiresIn ?? 3600 };
  send(
    res,
    200,
    'application/json',
    JSON.stringify({ access_token: token, token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', ...expires }),
  );
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function waitUntil(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
