/**
 * `make run` with nothing configured: the proxy in front of the tests' fake OpenAI upstream, with a client key
 * made for this start, and a banner saying it is a demo, how to call it and how to leave it.
 * Run by the Makefile as `node .tools/demo/demo/run.js` (compiled by test/demo/tsconfig.json).
 */
import { startFakeUpstream } from '../helpers/fake-upstream';
import { CA_PEM, demoKey, demoPorts, startDemoProxy } from './demo-proxy';

const RULE = '='.repeat(100);

function banner(baseUrl: string, adminUrl: string, key: string): string {
  const json = `-H "Authorization: Bearer ${key}" -H "Content-Type: application/json"`;
  const python = `from openai import OpenAI; c = OpenAI(base_url="${baseUrl}", api_key="${key}"); print(c.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "Say hi"}]).choices[0].message.content)`;
  const node = `const { OpenAI } = require("openai"); new OpenAI({ baseURL: "${baseUrl}", apiKey: "${key}" }).chat.completions.create({ model: "gpt-4.1-mini", messages: [{ role: "user", content: "Say hi" }] }).then((r) => console.log(r.choices[0].message.content))`;
  return [
    '',
    RULE,
    'openai-proxy is running as a DEMO, in front of a fake OpenAI upstream on 127.0.0.1: the answers are canned',
    'and no request leaves your computer.',
    '',
    `  proxy        ${baseUrl}   (chat, responses, embeddings, models, images, audio; streams too)`,
    `  admin        ${adminUrl}/metrics   ${adminUrl}/readyz`,
    `  client key   ${key}   (a new one at every start)`,
    '',
    'From another terminal:',
    '',
    `  curl ${baseUrl}/chat/completions ${json} -d '{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"Say hi"}]}'`,
    `  curl -N ${baseUrl}/responses ${json} -d '{"model":"gpt-4.1-mini","input":"Count to five","stream":true}'`,
    '',
    'Python (pip install openai):',
    '',
    `  python3 -c '${python}'`,
    '',
    'Node (in this folder, which has the SDK; elsewhere npm install openai first):',
    '',
    `  node -e '${node}'`,
    '',
    'Each request logs a line here. Ctrl-C stops the demo.',
    'To proxy the real OpenAI API, leave the demo: cp .env.example .env, put your OpenAI key and a client key in it',
    '(or set OPENAI_API_KEY and PROXY_X_API_KEY in the environment) and make run again.',
    RULE,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const up = await startFakeUpstream({ keepBodyBytes: 64 * 1024 });
  // The fake keeps what it received, for tests; a demo left running keeps only the last requests.
  setInterval(() => up.requests.splice(0, Math.max(0, up.requests.length - 100)), 10_000).unref();
  const key = demoKey('demo');
  const { port, adminPort } = demoPorts();
  const proxy = await startDemoProxy(
    {
      PORT: port,
      ADMIN_PORT: adminPort,
      OPENAI_BASE_URL: up.url,
      // The fake takes any upstream key; this one exists only for this start.
      OPENAI_API_KEY: demoKey('sk-demo-upstream'),
      PROXY_X_API_KEY: key,
      NODE_EXTRA_CA_CERTS: CA_PEM,
    },
    () => up.close(),
  );
  process.stdout.write(banner(`${proxy.url}/v1`, proxy.adminUrl, key));
}

// `npx tap test/demo/` loads every file of the folder: a demo started there would never end.
if (!process.env.TAP) void main();
