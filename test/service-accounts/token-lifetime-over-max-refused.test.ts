// A ServiceAccount token issued for longer than kubernetes.maxTokenLifetimeSeconds (default two days) is
// refused like any other bad token: 401 {"error":"unauthorized"}, nothing upstream, `token_lifetime` in the
// access log. The lifetime is `exp - iat`, whatever is left of it; a token without `iat` is judged by what it
// still has (`exp - now`). A token at the limit, and one without `iat` well inside it, are accepted.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey, runProxyExpectingFailure, startProxy, type RunningProxy } from '../helpers/proxy';
import { startServiceAccountStack, waitReady } from '../helpers/service-account-stack';
import { jwksOf, serviceAccountClaims, serviceAccountToken, signToken, signingKey, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../helpers/service-accounts';
import { tempDir } from '../helpers/tmp';

const DAY = 86_400;
const body = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });

async function call(t: Test, proxy: RunningProxy, token: string): Promise<number> {
  const res = await request(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  if (res.status === 401) t.equal(res.text, '{"error":"unauthorized"}', 'the usual 401 body');
  return res.status;
}

t.test('the default limit: two days from iat to exp', async (t) => {
  const s = await startServiceAccountStack(t);
  const now = Math.floor(Date.now() / 1000);
  const withoutIat = (expiresIn: number) => {
    const { iat: _iat, ...claims } = serviceAccountClaims({ issuedAt: now, expiresIn });
    const token = signToken(s.key, claims);
    s.proxy.keys.client.push(token);
    return token;
  };
  const cases: Array<[string, string, number, string | undefined]> = [
    ['two days exactly', s.mint(s.key, { expiresIn: 2 * DAY }), 200, undefined],
    ['two days and a second', s.mint(s.key, { expiresIn: 2 * DAY + 1 }), 401, 'token_lifetime'],
    // TokenRequest's expirationSeconds has no upper bound unless the API server sets one.
    ['a year', s.mint(s.key, { expiresIn: 365 * DAY }), 401, 'token_lifetime'],
    ['issued three days ago, an hour left', s.mint(s.key, { issuedAt: now - 3 * DAY, expiresIn: 3 * DAY + 3600 }), 401, 'token_lifetime'],
    ['no iat, an hour left', withoutIat(3600), 200, undefined],
    ['no iat, three days left', withoutIat(3 * DAY), 401, 'token_lifetime'],
  ];
  for (const [what, token, status] of cases) t.equal(await call(t, s.proxy, token), status, what);
  t.equal(s.upstream.requests.length, 2, 'only the accepted tokens went upstream');

  await s.proxy.waitForLog(() => s.proxy.logs.filter((l) => l.event === 'request').length >= cases.length);
  const lines = s.proxy.logs.filter((l) => l.event === 'request');
  for (const [i, [what, , status, reason]] of cases.entries()) {
    if (reason) t.match(lines[i], { status, client: 'unauthenticated', error: 'unauthorized', reason }, `${what}: logged as ${reason}`);
    else t.match(lines[i], { status, client: 'team-a', serviceAccount: 'team-a/chatbot' }, `${what}: team-a`);
  }
});

t.test('kubernetes.maxTokenLifetimeSeconds sets the limit', async (t) => {
  const dir = tempDir(t);
  const key = signingKey('ES256');
  const upstream = await startFakeUpstream({ t });
  writeFileSync(join(dir, 'jwks.json'), jwksOf(key));
  const config = {
    upstream: { baseUrl: upstream.url, apiKey: { value: randomKey('sk-test-upstream') } },
    kubernetes: { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, jwks: { file: join(dir, 'jwks.json') }, maxTokenLifetimeSeconds: 3600 },
    clients: [{ name: 'team-a', serviceAccounts: ['team-a/chatbot'] }],
  };
  writeFileSync(join(dir, 'config.yaml'), stringify(config));
  const hour = serviceAccountToken(key, { expiresIn: 3600 });
  const longer = serviceAccountToken(key, { expiresIn: 3601 });
  const proxy = await startProxy(t, { env: { PROXY_CONFIG: join(dir, 'config.yaml'), OPENAI_BASE_URL: undefined }, secrets: [hour, longer] });
  await waitReady(proxy);

  t.equal(await call(t, proxy, hour), 200, 'an hour: at the limit');
  t.equal(await call(t, proxy, longer), 401, 'an hour and a second: over it');
  await proxy.waitForLog(() => proxy.logs.filter((l) => l.event === 'request').length >= 2);
  t.match(proxy.logs.filter((l) => l.event === 'request')[1], { status: 401, reason: 'token_lifetime' });
});

t.test('a limit that is not a whole number of seconds stops the start', async (t) => {
  const dir = tempDir(t);
  for (const bad of [0, 1.5, '3600']) {
    const config = {
      upstream: { apiKey: { value: randomKey('sk-test-upstream') } },
      kubernetes: { jwks: { file: join(dir, 'jwks.json') }, maxTokenLifetimeSeconds: bad },
      clients: [{ name: 'team-a', serviceAccounts: ['team-a/chatbot'] }],
    };
    writeFileSync(join(dir, 'config.yaml'), stringify(config));
    writeFileSync(join(dir, 'jwks.json'), jwksOf(signingKey('ES256')));
    const run = await runProxyExpectingFailure({ env: { PROXY_CONFIG: join(dir, 'config.yaml') } });
    t.equal(run.code, 1, JSON.stringify(bad));
    t.match(run.stderr, /kubernetes\.maxTokenLifetimeSeconds: must be a whole number of seconds from 1 up/, JSON.stringify(bad));
  }
});
