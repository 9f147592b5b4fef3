// A ServiceAccount setup that cannot work stops the start with exit 1, every problem named: here, the
// in-cluster default outside a Pod (no mounted token or CA) beside a bad entry and a missing JWKS file.
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomKey, runProxyExpectingFailure } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

// Run inside a Pod, the default token would be there: this case can only be shown outside one.
const inAPod = existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');

t.test('the in-cluster default outside a Pod, and bad entries', { skip: inAPod && 'running in a Pod: the default token exists' }, async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `upstream: { apiKey: { value: ${randomKey('sk-test-upstream')} } }
clients:
  - name: team-a
    serviceAccounts: [team-a/chatbot, Team-B/*]
  - name: nobody
`,
  );
  const run = await runProxyExpectingFailure({ env: { PROXY_CONFIG: config } });
  t.equal(run.code, 1);
  t.match(
    run.stderr,
    /kubernetes\.jwks\.bearerTokenFile: cannot read \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token: ENOENT \(the in-cluster default/,
  );
  t.match(run.stderr, /kubernetes\.jwks\.caFile: cannot read .*ca\.crt/);
  t.match(run.stderr, /clients\[0\]\.serviceAccounts\[1\]: must be namespace\/name or namespace\/\*/);
  t.match(run.stderr, /clients\[1\]\.key: required, unless the client lists serviceAccounts/);
  t.notOk(run.logs.some((l) => l.event === 'listening'));
});

t.test('a JWKS file that is missing', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `upstream: { apiKey: { value: ${randomKey('sk-test-upstream')} } }
kubernetes: { jwks: { file: ${join(dir, 'jwks.json')} } }
clients: [{ name: team-a, serviceAccounts: [team-a/*] }]
`,
  );
  const run = await runProxyExpectingFailure({ env: { PROXY_CONFIG: config } });
  t.equal(run.code, 1);
  t.match(run.stderr, /kubernetes\.jwks\.file: cannot read .*jwks\.json: ENOENT/);
});
