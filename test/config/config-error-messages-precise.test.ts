// Config messages say the file, the line and the real problem, and nothing spurious: malformed YAML used to be
// cut off at a colon and came with "OPENAI_API_KEY: required" and "PROXY_X_API_KEY: required"; a given but
// unusable upstream key or client list added a "required" too; PORT=' 80' was accepted.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomKey, runProxyExpectingFailure, type FailedStart } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

const listed = (run: FailedStart) => run.stderr.split('\n').filter((line) => line.startsWith('  - '));

async function withConfig(t: Parameters<typeof tempDir>[0], yaml: string, env: Record<string, string> = {}) {
  const path = join(tempDir(t), 'config.yaml');
  writeFileSync(path, yaml);
  return { path, run: await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { PROXY_CONFIG: path, ...env } }) };
}

t.test('malformed YAML: the file, the line and column, the whole problem, and nothing else', async (t) => {
  const secret = randomKey('wrapper-key-alice');
  const { path, run } = await withConfig(t, `upstream:\n  baseUrl: https://api.openai.com\nclients:\n  - name: alice\n    key: { value: ${secret}: oops }\n`);
  t.equal(run.code, 1);
  t.same(listed(run), [`  - PROXY_CONFIG: ${path}, line 5, column 19: not valid YAML: Block collections are not allowed within flow collections`]);
  t.notOk(run.stderr.includes(secret) || run.stdout.includes(secret), 'the offending line (a key) is not quoted back');
});

t.test('an upstream key given in a form that does not parse: its own problem, no "required"', async (t) => {
  const { run } = await withConfig(t, 'upstream:\n  apiKey: /var/run/secrets/openai/openai-api-key\n', { PROXY_X_API_KEY: randomKey('pk-test') });
  t.same(
    listed(run).map((l) => l.split(':')[0]),
    ['  - upstream.apiKey'],
  );
  t.match(run.stderr, /upstream\.apiKey: must be exactly one of \{ value: \.\.\. \}, \{ env: \.\.\. \}, \{ file: \.\.\. \}/);
});

t.test('an unreadable upstream key file: that problem only', async (t) => {
  const { run } = await withConfig(t, 'upstream:\n  apiKey: { file: /nonexistent/openai-api-key }\n', { PROXY_X_API_KEY: randomKey('pk-test') });
  t.same(listed(run), ['  - upstream.apiKey: cannot read /nonexistent/openai-api-key: ENOENT']);
});

t.test('clients that are all invalid: their problems, no "PROXY_X_API_KEY: required"', async (t) => {
  const { run } = await withConfig(t, 'clients:\n  - name: alice\n', { OPENAI_API_KEY: randomKey('sk-test') });
  t.same(
    listed(run).map((l) => l.split(':')[0]),
    ['  - clients[0].key'],
  );
});

t.test('an empty client list still needs a key from somewhere', async (t) => {
  const { run } = await withConfig(t, 'clients: []\n', { OPENAI_API_KEY: randomKey('sk-test') });
  t.match(run.stderr, / {2}- PROXY_X_API_KEY: required/);
});

t.test('numbers with whitespace are refused, quoting what was given', async (t) => {
  const run = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: { OPENAI_API_KEY: randomKey('sk'), PROXY_X_API_KEY: randomKey('pk-test'), PORT: ' 80', MAX_BODY_BYTES: '1024 ' },
  });
  t.equal(run.code, 1);
  t.same(listed(run), ['  - PORT: must be a whole number from 0 to 65535, not " 80"', '  - MAX_BODY_BYTES: must be a whole number from 1 up, not "1024 "']);
});
