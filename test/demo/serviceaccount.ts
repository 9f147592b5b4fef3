/**
 * `make demo-serviceaccount`: callers known by their Kubernetes ServiceAccount, on a laptop. The proxy reads
 * the signing keys from a local JWKS file (`kubernetes.jwks.file`); two tokens signed with its key, the way
 * the kube-apiserver signs projected tokens, stand for two Pods: one whose ServiceAccount a client lists, one
 * whose no client does. The banner gives a command for each and says what to look at.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, jwksOf, serviceAccountToken, signingKey } from '../helpers/service-accounts';
import { CA_PEM, demoDir, demoKey, demoPorts, startDemoProxy } from './demo-proxy';

const RULE = '='.repeat(100);
const DAY_S = 86_400;

interface Files {
  config: string;
  jwks: string;
  allowed: string;
  unlisted: string;
}

function banner(baseUrl: string, adminUrl: string, files: Files): string {
  const curl = (file: string) =>
    `curl ${baseUrl}/chat/completions -H "Authorization: Bearer $(cat ${file})" -H "Content-Type: application/json" -d '{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"Say hi"}]}'`;
  const node = `const { OpenAI } = require("openai"); const { readFile } = require("node:fs/promises"); new OpenAI({ baseURL: "${baseUrl}", apiKey: async () => (await readFile("${files.allowed}", "utf8")).trim() }).chat.completions.create({ model: "gpt-4.1-mini", messages: [{ role: "user", content: "Say hi" }] }).then((r) => console.log(r.choices[0].message.content))`;
  return [
    '',
    RULE,
    'openai-proxy DEMO: callers known by their Kubernetes ServiceAccount, with no key to hand out.',
    `The proxy (config ${files.config}) checks each token against the signing keys in`,
    `  ${files.jwks}`,
    "(in a cluster, the API server's JWKS) and maps its namespace/ServiceAccount to a client. Two tokens signed",
    'with that key, valid for a day:',
    `  ${files.allowed}   team-a/chatbot, which client team-a lists`,
    `  ${files.unlisted}     team-b/batch, which no client lists`,
    '',
    'What to look at:',
    '  1. The jwks_refresh line: "trigger":"start" and the key id it loaded. /readyz (printed as it changes) is',
    `     200 once the keys are read: curl -i ${adminUrl}/readyz`,
    '  2. A caller as team-a/chatbot, from another terminal:',
    `       ${curl(files.allowed)}`,
    '     200, and its access log line here says "client":"team-a","serviceAccount":"team-a/chatbot".',
    '  3. A ServiceAccount no client lists:',
    `       ${curl(files.unlisted)}`,
    '     401 {"error":"unauthorized"}; the log line says "reason":"service_account_not_allowed" and names team-b/batch.',
    '  4. The Node SDK, reading the token file before every request (in a Pod the kubelet rewrites it):',
    `       node -e '${node}'`,
    '',
    'Ctrl-C stops the demo.',
    RULE,
    '',
  ].join('\n');
}

function writeFiles(dir: string): Files {
  const key = signingKey('RS256');
  const files: Files = {
    config: join(dir, 'proxy.yaml'),
    jwks: join(dir, 'jwks.json'),
    allowed: join(dir, 'team-a-chatbot.token'),
    unlisted: join(dir, 'team-b-batch.token'),
  };
  writeFileSync(files.jwks, jwksOf(key));
  const token = (namespace: string, serviceAccount: string) => `${serviceAccountToken(key, { namespace, serviceAccount, expiresIn: DAY_S })}\n`;
  writeFileSync(files.allowed, token('team-a', 'chatbot'), { mode: 0o600 });
  writeFileSync(files.unlisted, token('team-b', 'batch'), { mode: 0o600 });
  writeFileSync(
    files.config,
    [
      'kubernetes:',
      `  issuer: ${TOKEN_ISSUER}`,
      `  audience: ${TOKEN_AUDIENCE}`,
      `  jwks: { file: ${files.jwks} }`,
      'clients:',
      '  - name: team-a',
      '    serviceAccounts: [team-a/chatbot]',
      '',
    ].join('\n'),
  );
  return files;
}

async function main(): Promise<void> {
  const up = await startFakeUpstream({ keepBodyBytes: 64 * 1024 });
  setInterval(() => up.requests.splice(0, Math.max(0, up.requests.length - 100)), 10_000).unref();
  const files = writeFiles(demoDir());
  const { port, adminPort } = demoPorts();
  const proxy = await startDemoProxy(
    {
      PORT: port,
      ADMIN_PORT: adminPort,
      PROXY_CONFIG: files.config,
      OPENAI_BASE_URL: up.url,
      OPENAI_API_KEY: demoKey('sk-demo-upstream'),
      NODE_EXTRA_CA_CERTS: CA_PEM,
    },
    () => up.close(),
  );
  process.stdout.write(banner(`${proxy.url}/v1`, proxy.adminUrl, files));
  proxy.watchReadiness((line) => process.stdout.write(`${line}\n`));
}

// `npx tap test/demo/` loads every file of the folder: a demo started there would never end.
if (!process.env.TAP) void main();
