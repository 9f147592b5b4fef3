// A keyless setup that cannot work stops the start with exit 1 and every problem named by its setting: a partial
// env form, a token file that is missing or empty (the kubelet writes it before the container starts, so this is
// a wrong path, not a race), a token URL that is not HTTPS. The identity token never shows in the output.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { identityToken } from '../helpers/fake-token-endpoint';
import { randomKey, runProxyExpectingFailure, type FailedStart } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

const named = (run: FailedStart) => (run.logs.find((l) => l.event === 'config_invalid')?.problems ?? []).map((p: { setting: string }) => p.setting).sort();

t.test('partial env form, unreadable token file, plain-HTTP token URL', async (t) => {
  const dir = tempDir(t);
  const client = randomKey('pk-test');
  const partial = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { PROXY_X_API_KEY: client, OPENAI_IDENTITY_PROVIDER_ID: 'wip_1' } });
  t.equal(partial.code, 1);
  t.same(named(partial), ['OPENAI_IDENTITY_TOKEN_FILE', 'OPENAI_SERVICE_ACCOUNT_ID']);
  t.match(partial.stderr, / {2}- OPENAI_SERVICE_ACCOUNT_ID: required for workload identity/);

  const missing = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: {
      PROXY_X_API_KEY: client,
      OPENAI_IDENTITY_PROVIDER_ID: 'wip_1',
      OPENAI_SERVICE_ACCOUNT_ID: 's',
      OPENAI_IDENTITY_TOKEN_FILE: join(dir, 'nope'),
      OPENAI_IDENTITY_TOKEN_URL: 'http://auth.example/token',
    },
  });
  t.equal(missing.code, 1);
  t.same(named(missing), ['OPENAI_IDENTITY_TOKEN_URL'], 'the URL first: the file is checked once the settings are valid');

  const unreadable = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: { PROXY_X_API_KEY: client, OPENAI_IDENTITY_PROVIDER_ID: 'wip_1', OPENAI_SERVICE_ACCOUNT_ID: 's', OPENAI_IDENTITY_TOKEN_FILE: join(dir, 'nope') },
  });
  t.equal(unreadable.code, 1);
  t.same(named(unreadable), ['OPENAI_IDENTITY_TOKEN_FILE']);
  t.match(unreadable.stderr, /OPENAI_IDENTITY_TOKEN_FILE: cannot read the identity token file .*nope: ENOENT/);
});

t.test('config file: an empty token file is named by its path in the file', async (t) => {
  const dir = tempDir(t);
  const subject = identityToken();
  writeFileSync(join(dir, 'good'), subject);
  writeFileSync(join(dir, 'empty'), '\n');
  const config = join(dir, 'config.yaml');
  const wi = (file: string, sa: string) => `{ workloadIdentity: { tokenFile: ${join(dir, file)}, identityProviderId: wip, serviceAccountId: ${sa} } }`;
  writeFileSync(
    config,
    `upstream:\n  apiKey: ${wi('good', 'shared')}\nclients:\n  - { name: a, key: { value: ${randomKey('pk-a')} } }\n  - { name: b, key: { value: ${randomKey('pk-b')} }, upstreamKey: ${wi('empty', 'b')} }\n`,
  );
  const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { PROXY_CONFIG: config } });
  t.equal(run.code, 1);
  t.same(named(run), ['clients[1].upstreamKey.workloadIdentity.tokenFile']);
  t.match(run.stderr, /is empty/);
  t.notOk(run.stdout.includes(subject) || run.stderr.includes(subject), 'the identity token is not in the output');
});

t.test('config file: a client named upstream with its own workload identity is refused', async (t) => {
  // Its credential would carry the default upstream credential's label, credential="upstream", in the metrics.
  const dir = tempDir(t);
  writeFileSync(join(dir, 'token'), identityToken());
  const wi = (sa: string) => `{ workloadIdentity: { tokenFile: ${join(dir, 'token')}, identityProviderId: wip, serviceAccountId: ${sa} } }`;
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `upstream:\n  apiKey: ${wi('shared')}\nclients:\n  - { name: a, key: { value: ${randomKey('pk-a')} } }\n  - { name: upstream, key: { value: ${randomKey('pk-b')} }, upstreamKey: ${wi('own')} }\n`,
  );
  const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { PROXY_CONFIG: config } });
  t.equal(run.code, 1);
  t.same(named(run), ['clients[1].name']);
  t.match(run.stderr, /clients\[1\]\.name: "upstream" labels the default upstream credential/);
});
