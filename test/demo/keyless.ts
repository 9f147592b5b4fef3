/**
 * `make demo-keyless`: a keyless upstream on a laptop. The proxy holds no upstream key; it exchanges a
 * (made-up) projected ServiceAccount token at a local HTTPS token endpoint, the tests' fake one with the test
 * CA, for access tokens that last 60 s, and sends those upstream. The banner says what to look at.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { identityToken, startFakeTokenEndpoint } from '../helpers/fake-token-endpoint';
import { handlers, startFakeUpstream } from '../helpers/fake-upstream';
import { CA_PEM, demoDir, demoKey, demoPorts, fingerprint, startDemoProxy } from './demo-proxy';

const LIFETIME_S = 60;
const RULE = '='.repeat(100);

function banner(baseUrl: string, adminUrl: string, key: string, tokenFile: string, tokenUrl: string): string {
  return [
    '',
    RULE,
    'openai-proxy DEMO: a keyless upstream. The proxy holds no upstream key at all: it reads the identity token in',
    `  ${tokenFile}`,
    '(in a Pod, the projected ServiceAccount token the kubelet writes; here a made-up one), exchanges it at',
    `  ${tokenUrl}`,
    `(a local stand-in for OpenAI's token endpoint, HTTPS with the test CA) for an access token valid ${LIFETIME_S} s,`,
    'and sends that upstream as Authorization: Bearer.',
    '',
    'What to look at:',
    '  1. The exchange: a credential_refresh line with "result":"success","trigger":"start" and the access',
    "     token's fingerprint (never the token). The token endpoint here takes 2 s to answer the first time.",
    '  2. /readyz, printed below as it changes: 503 {"status":"waiting_for_upstream_credential"} until that',
    `     exchange, then 200. Yourself: curl -i ${adminUrl}/readyz`,
    '  3. A request, from another terminal:',
    `       curl ${baseUrl}/chat/completions -H "X-API-Key: ${key}" -H "Content-Type: application/json" -d '{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"Say hi"}]}'`,
    '     The fake upstream prints the credential it received, by fingerprint: the one the exchange logged.',
    `  4. A refresh every ${(LIFETIME_S * 2) / 3} s, when a third of the token's life is left: "trigger":"schedule", a new fingerprint.`,
    `     The metrics: curl -s ${adminUrl}/metrics | grep openai_proxy_credential`,
    '',
    'Ctrl-C stops the demo.',
    RULE,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const tokens = await startFakeTokenEndpoint();
  // A slow first answer, so that /readyz is seen waiting for it.
  // biome-ignore lint/suspicious/noThenProperty: the fake token endpoint's own option (what to answer after the delay).
  tokens.answers.push({ delayMs: 2000, then: { token: { expiresIn: LIFETIME_S } } });
  tokens.otherwise = { token: { expiresIn: LIFETIME_S } };
  const up = await startFakeUpstream({ keepBodyBytes: 64 * 1024 });
  up.handle = (req, res, rec) => {
    const bearer = /^Bearer (.+)$/.exec(String(rec.headers.authorization ?? ''))?.[1];
    process.stdout.write(`fake upstream: ${rec.method} ${rec.url} with Authorization: Bearer <${bearer ? fingerprint(bearer) : 'none'}>\n`);
    up.requests.splice(0, up.requests.length);
    tokens.exchanges.splice(0, Math.max(0, tokens.exchanges.length - 10));
    tokens.issued.splice(0, Math.max(0, tokens.issued.length - 10));
    return handlers.defaults()(req, res, rec);
  };
  const tokenFile = join(demoDir(), 'token');
  writeFileSync(tokenFile, `${identityToken()}\n`, { mode: 0o600 });
  const key = demoKey('demo');
  const { port, adminPort } = demoPorts();
  const proxy = await startDemoProxy(
    {
      PORT: port,
      ADMIN_PORT: adminPort,
      OPENAI_BASE_URL: up.url,
      PROXY_X_API_KEY: key,
      OPENAI_IDENTITY_PROVIDER_ID: 'wip_demo',
      OPENAI_SERVICE_ACCOUNT_ID: 'svcacct_demo',
      OPENAI_IDENTITY_TOKEN_FILE: tokenFile,
      OPENAI_IDENTITY_TOKEN_URL: tokens.tokenUrl,
      NODE_EXTRA_CA_CERTS: CA_PEM,
    },
    () => Promise.all([up.close(), tokens.close()]),
  );
  process.stdout.write(banner(`${proxy.url}/v1`, proxy.adminUrl, key, tokenFile, tokens.tokenUrl));
  proxy.watchReadiness((line) => process.stdout.write(`${line}\n`));
}

// `npx tap test/demo/` loads every file of the folder: a demo started there would never end.
if (!process.env.TAP) void main();
