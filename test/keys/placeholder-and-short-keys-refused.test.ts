// `cp .env.example .env && make run` used to serve on 0.0.0.0 with the example's client key. The start is now
// refused while .env.example's placeholders are in place, and for any client key under 16 characters, each
// problem naming its setting; no key is printed.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, randomKey, runProxyExpectingFailure } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

/** The variables .env.example sets, read the way `node --env-file` reads them (KEY=value lines). */
function envExample(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, '.env.example'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!;
  }
  return vars;
}

t.test('.env.example as it ships', async (t) => {
  const example = envExample();
  t.ok(example.OPENAI_API_KEY && example.PROXY_X_API_KEY, '.env.example sets both keys');
  const run = await runProxyExpectingFailure({ env: { ...example, OPENAI_BASE_URL: 'https://localhost:1' } });
  t.equal(run.code, 1, 'refused');
  t.match(run.stderr, / {2}- OPENAI_API_KEY: holds the placeholder from \.env\.example/);
  t.match(run.stderr, / {2}- PROXY_X_API_KEY: holds the placeholder from \.env\.example/);
  t.notOk(
    run.logs.some((l) => l.event === 'listening'),
    'never listened',
  );
});

t.test('a client key shorter than 16 characters, in every form', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'client-keys');
  writeFileSync(file, `${randomKey('long-enough')}\nshort-key\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, 'clients:\n  - name: alice\n    key: { value: "alice-15-chars!" }\n');
  const run = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: { OPENAI_API_KEY: randomKey('sk-test'), PROXY_X_API_KEY_FILE: file, PROXY_CONFIG: config },
  });
  t.equal(run.code, 1);
  t.match(run.stderr, / {2}- PROXY_X_API_KEY_FILE: a client key is shorter than 16 characters/, 'one short line in a key file is enough');
  t.match(run.stderr, / {2}- clients\[0\]\.key: a client key is shorter than 16 characters/);
  t.notOk(run.stderr.includes('short-key') || run.stdout.includes('alice-15-chars!'), 'the keys are not printed');
});

t.test('16 characters are enough', async (t) => {
  const run = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: { OPENAI_API_KEY: randomKey('sk'), PROXY_X_API_KEY: 'exactly-16-chars', PORT: 'x' },
  });
  t.notMatch(run.stderr, /PROXY_X_API_KEY/, 'the client key passes (the start fails only on PORT)');
  t.match(run.stderr, / {2}- PORT: /);
});
