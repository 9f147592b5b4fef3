// A misspelt `upstream.apikey` is reported as the unknown setting it is, and alone: it used to come with
// "OPENAI_API_KEY: required", which reads as if the file's key had not been seen at all.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomKey, runProxyExpectingFailure } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

const listed = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('  - '));

async function run(t: Parameters<typeof tempDir>[0], yaml: string) {
  const config = join(tempDir(t), 'proxy.yaml');
  writeFileSync(config, yaml);
  return runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { PROXY_CONFIG: config, PROXY_X_API_KEY: randomKey('pk-test') } });
}

t.test('upstream.apikey: the unknown setting only', async (t) => {
  const result = await run(t, `upstream:\n  apikey: { value: "${randomKey('sk-test')}" }\n`);
  t.equal(result.code, 1);
  const problems = listed(result.stderr);
  t.equal(problems.length, 1, 'one problem');
  t.match(problems[0], /^ {2}- upstream\.apikey: unknown setting \(expected one of [^)]*\bapiKey\b/, 'the unknown setting, naming apiKey');
});

t.test("a client's upstream_key: the unknown setting only", async (t) => {
  const result = await run(
    t,
    `clients:\n  - name: alice\n    key: { value: "${randomKey('wrapper-key-alice')}" }\n    upstream_key: { value: "${randomKey('sk-test')}" }\n`,
  );
  t.same(
    listed(result.stderr).map((l) => l.split(':')[0]),
    ['  - clients[0].upstream_key'],
  );
});

t.test('an unknown setting that is no key does not hide a missing one', async (t) => {
  const result = await run(t, 'upstream:\n  baseurl: https://api.openai.com\n');
  t.same(
    listed(result.stderr).map((l) => l.split(':')[0]),
    ['  - upstream.baseurl', '  - OPENAI_API_KEY'],
  );
});
