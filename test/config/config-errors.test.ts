// A bad configuration stops the start with exit 1; stderr says
// "openai-proxy: invalid configuration" and lists every problem as "  - SETTING: message"; stdout gets a
// config_invalid event with the same problems. No key appears in the output.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomKey, runProxyExpectingFailure, type FailedStart } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

function settings(run: FailedStart): string[] {
  const event = run.logs.find((l) => l.event === 'config_invalid');
  return (event?.problems ?? []).map((p: { setting: string }) => p.setting);
}

function expectProblems(t: Test, run: FailedStart, expected: string[]) {
  t.equal(run.code, 1, 'exit code 1');
  t.match(run.stderr, /^openai-proxy: invalid configuration$/m, 'stderr headline');
  const listed = settings(run);
  for (const setting of expected) {
    t.ok(run.stderr.includes(`  - ${setting}: `), `stderr names ${setting}`);
    t.ok(listed.includes(setting), `config_invalid names ${setting}`);
  }
  t.notOk(
    run.logs.some((l) => l.event === 'listening'),
    'never listened',
  );
}

t.test('no keys at all', async (t) => {
  const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1' });
  expectProblems(t, run, ['OPENAI_API_KEY']);
  t.ok(settings(run).length >= 1);
});

t.test('every bad environment setting is reported together', async (t) => {
  const upstreamKey = randomKey('sk-test-upstream');
  const clientKey = randomKey('pk-test');
  const run = await runProxyExpectingFailure({
    env: {
      OPENAI_API_KEY: upstreamKey,
      PROXY_X_API_KEY: clientKey,
      OPENAI_BASE_URL: 'ftp://example.com',
      PORT: 'eighty',
      ADMIN_PORT: '70000',
      LOG_LEVEL: 'loud',
      SHUTDOWN_GRACE_MS: '-5',
      PROXY_AUTH: 'maybe',
      MAX_BODY_BYTES: '12abc',
      UPSTREAM_CONNECT_TIMEOUT_MS: 'soon',
      UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '-1',
      UPSTREAM_IDLE_TIMEOUT_MS: '1.5.2',
    },
  });
  expectProblems(t, run, [
    'OPENAI_BASE_URL',
    'PORT',
    'ADMIN_PORT',
    'LOG_LEVEL',
    'SHUTDOWN_GRACE_MS',
    'PROXY_AUTH',
    'MAX_BODY_BYTES',
    'UPSTREAM_CONNECT_TIMEOUT_MS',
    'UPSTREAM_FIRST_BYTE_TIMEOUT_MS',
    'UPSTREAM_IDLE_TIMEOUT_MS',
  ]);
  t.notOk(run.stdout.includes(upstreamKey) || run.stderr.includes(upstreamKey), 'the upstream key is not printed');
  t.notOk(run.stdout.includes(clientKey) || run.stderr.includes(clientKey), 'the client key is not printed');
});

t.test('a key and its _FILE twin', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'k'), randomKey('sk'));
  const run = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: { OPENAI_API_KEY: randomKey('sk'), OPENAI_API_KEY_FILE: join(dir, 'k'), PROXY_X_API_KEY: randomKey('pk') },
  });
  t.equal(run.code, 1);
  t.ok(
    settings(run).some((s) => s.startsWith('OPENAI_API_KEY')),
    `the double upstream key is named (${settings(run).join(', ')})`,
  );
});

t.test('a key file that cannot be read', async (t) => {
  const dir = tempDir(t);
  const run = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: { OPENAI_API_KEY: randomKey('sk'), PROXY_X_API_KEY_FILE: join(dir, 'missing') },
  });
  expectProblems(t, run, ['PROXY_X_API_KEY_FILE']);
});

t.test('unresolvable secrets are listed together with every other problem', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `upstream:
  apiKey: { file: ${join(dir, 'no-such-file')} }
clients:
  - name: dave
    key: { env: DAVE_KEY_NOT_SET }
`,
  );
  const run = await runProxyExpectingFailure({ env: { PROXY_CONFIG: config, PORT: 'eighty', PROXY_X_API_KEY_FILE: join(dir, 'missing') } });
  t.equal(run.code, 1);
  const listed = settings(run);
  for (const prefix of ['PORT', 'PROXY_X_API_KEY_FILE', 'upstream.apiKey', 'clients[0].key']) {
    t.ok(
      listed.some((s) => s === prefix || s.startsWith(`${prefix}.`)),
      `${prefix} is named in the same report (${listed.join(', ')})`,
    );
  }
});

t.test('config file problems are named by their path', async (t) => {
  const dir = tempDir(t);
  const secret = randomKey('wrapper-key-secret');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `upstream:
  baseUrl: not a url
  apiKey: { value: "${randomKey('sk-test')}" }
clients:
  - name: Alice!
    key: { value: "${secret}" }
  - name: bob
    key: { value: "x", env: BOB_KEY }
  - name: carol
    key: { sha256: nothex }
  - name: erin
  - name: bob
    key: { value: "${randomKey('k')}" }
    limits: { requestsPerMinute: -3 }
models: gpt-4.1
endpoints: [v1/no-leading-slash]
unknownTopLevel: true
`,
  );
  const run = await runProxyExpectingFailure({ env: { PROXY_CONFIG: config, OPENAI_BASE_URL: undefined } });
  t.equal(run.code, 1);
  const listed = settings(run);
  const expected = [
    'upstream.baseUrl',
    'clients[0].name',
    'clients[1].key',
    'clients[2].key',
    'clients[3].key',
    'clients[4].name',
    'clients[4].limits',
    'models',
    'endpoints',
    'unknownTopLevel',
  ];
  for (const prefix of expected)
    t.ok(
      listed.some((s) => s === prefix || s.startsWith(`${prefix}.`) || s.startsWith(`${prefix}[`)),
      `${prefix} is named (${listed.join(', ')})`,
    );
  t.ok(run.stderr.includes('openai-proxy: invalid configuration'));
  t.notOk(run.stdout.includes(secret) || run.stderr.includes(secret), 'no key in the output');
});

t.test('unreadable or unparsable config file', async (t) => {
  const dir = tempDir(t);
  const missing = await runProxyExpectingFailure({ env: { PROXY_CONFIG: join(dir, 'nope.yaml') } });
  expectProblems(t, missing, ['PROXY_CONFIG']);
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'clients:\n  - name: a\n   key: [unclosed\n');
  const bad = await runProxyExpectingFailure({ env: { PROXY_CONFIG: broken } });
  t.equal(bad.code, 1);
  t.ok(
    settings(bad).some((s) => s.startsWith('PROXY_CONFIG')),
    'a YAML syntax error names PROXY_CONFIG',
  );
});
