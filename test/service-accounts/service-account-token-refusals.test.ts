// Every token the rules refuse gets the same 401 {"error":"unauthorized"} and sends nothing upstream; the
// access log says which rule it broke (for the operator, never the caller), and names the ServiceAccount when
// a valid token belongs to one no client lists.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { request } from '../helpers/http';
import { startServiceAccountStack } from '../helpers/service-account-stack';
import { encodeJws, serviceAccountClaims, signToken, signingKey } from '../helpers/service-accounts';

t.test('refused tokens: 401, nothing upstream, the reason in the log', async (t) => {
  const s = await startServiceAccountStack(t);
  const now = Math.floor(Date.now() / 1000);
  const claims = serviceAccountClaims();
  const guard = (token: string) => {
    s.proxy.keys.client.push(token);
    return token;
  };
  const hmacWithPublicKey = (() => {
    const input = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: s.key.kid })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${createHmac('sha256', s.key.publicKey.export({ format: 'pem', type: 'spki' }))
      .update(input)
      .digest('base64url')}`;
  })();
  const cases: Array<[string, string, string]> = [
    ['alg none', guard(encodeJws({ alg: 'none', kid: s.key.kid }, claims, Buffer.from('sig'))), 'token_algorithm'],
    ['HS256 keyed with the public key', guard(hmacWithPublicKey), 'token_algorithm'],
    ['ES256 header over the RSA key', guard(signToken(s.key, claims, { alg: 'ES256', kid: s.key.kid })), 'token_algorithm'],
    ['signed by a key not in the JWKS, under its kid', guard(signToken(signingKey('RS256'), claims, { alg: 'RS256', kid: s.key.kid })), 'token_signature'],
    [
      'a payload changed after signing',
      guard(
        s
          .mint()
          .replace(
            /\.[^.]+\./,
            `.${Buffer.from(JSON.stringify({ ...claims, 'kubernetes.io': { namespace: 'team-a', serviceaccount: { name: 'admin' } } })).toString('base64url')}.`,
          ),
      ),
      'token_signature',
    ],
    ['another issuer', s.mint(s.key, { issuer: 'https://oidc.eks.example.com/id/ABC' }), 'token_issuer'],
    ['the API server audience', s.mint(s.key, { audience: ['https://kubernetes.default.svc.cluster.local'] }), 'token_audience'],
    ['expired beyond the skew', s.mint(s.key, { issuedAt: now - 700, expiresIn: 600 }), 'token_expired'],
    ['not valid for another two minutes', s.mint(s.key, { issuedAt: now + 120 }), 'token_not_yet_valid'],
    ['no exp', guard(signToken(s.key, { ...claims, exp: undefined })), 'token_no_expiry'],
    ['not a ServiceAccount token', guard(signToken(s.key, { ...claims, 'kubernetes.io': undefined })), 'token_not_a_service_account'],
    ['a ServiceAccount no client lists', s.mint(s.key, { namespace: 'team-c', serviceAccount: 'chatbot' }), 'service_account_not_allowed'],
    ['team-a/* is not listed, only team-a/chatbot', s.mint(s.key, { namespace: 'team-a', serviceAccount: 'other' }), 'service_account_not_allowed'],
  ];
  const body = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  for (const [what, token] of cases) {
    const res = await request(`${s.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    t.equal(res.status, 401, what);
    t.equal(res.text, '{"error":"unauthorized"}', `${what}: the usual 401 body`);
  }
  t.equal(s.upstream.requests.length, 0, 'nothing went upstream');
  await s.proxy.waitForLog(() => s.proxy.logs.filter((l) => l.event === 'request').length >= cases.length);
  const lines = s.proxy.logs.filter((l) => l.event === 'request');
  for (const [i, [what, , reason]] of cases.entries()) {
    t.match(lines[i], { status: 401, client: 'unauthenticated', error: 'unauthorized', reason }, `${what}: logged as ${reason}`);
  }
  t.equal(lines[11]!.serviceAccount, 'team-c/chatbot', 'a valid token of an unlisted ServiceAccount is named in the log');
  t.equal(lines[0]!.serviceAccount, undefined, 'an unverified token names nobody');
  const metrics = await request(`${s.proxy.adminUrl}/metrics`);
  t.match(metrics.text, new RegExp(`openai_proxy_auth_failures_total ${cases.length}\\b`), 'each counted as an auth failure');
});
