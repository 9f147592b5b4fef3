// A `{ env: NAME }` reference whose variable is not set says so, and only that: it used to say
// "environment variable NAME holds no key", which sends the reader to look at a value that does not exist.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomKey, runProxyExpectingFailure } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

const listed = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('  - '));

t.test('a client key and an upstream key from variables that are not set: each named, nothing else', async (t) => {
  const config = join(tempDir(t), 'proxy.yaml');
  writeFileSync(config, 'upstream:\n  apiKey: { env: TEAM_OPENAI_KEY }\nclients:\n  - name: alice\n    key: { env: ALICE_PROXY_KEY }\n');
  const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { PROXY_CONFIG: config } });
  t.equal(run.code, 1);
  t.same(listed(run.stderr), [
    '  - upstream.apiKey: environment variable TEAM_OPENAI_KEY is not set',
    '  - clients[0].key: environment variable ALICE_PROXY_KEY is not set',
  ]);
});

t.test('a variable that is set but holds only whitespace still "holds no key"', async (t) => {
  const config = join(tempDir(t), 'proxy.yaml');
  writeFileSync(config, 'clients:\n  - name: alice\n    key: { env: ALICE_PROXY_KEY }\n');
  const run = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: { PROXY_CONFIG: config, ALICE_PROXY_KEY: '   ', OPENAI_API_KEY: randomKey('sk-test') },
  });
  t.same(listed(run.stderr), ['  - clients[0].key: environment variable ALICE_PROXY_KEY holds no key']);
});
