// `make demo-serviceaccount` shows ServiceAccount callers on a laptop: the JWKS read from a local file
// (trigger start), a token of a listed ServiceAccount answered and logged with its client and ServiceAccount,
// one of an unlisted ServiceAccount refused with the reason in the log, and the Node SDK reading the token file.
import t from 'tap';
import { bannerLines, buildForMake, cleanEnv, runShell, startMakeTarget } from './make-target';

t.test('the key set, a caller that is a client, one that is not, and the SDK', async (t) => {
  await buildForMake();
  const demo = startMakeTarget(t, 'demo-serviceaccount', cleanEnv({ PORT: '0', ADMIN_PORT: '0' }));
  const banner = await demo.banner();
  const jwks = JSON.parse((await demo.waitFor(/^\{.*"event":"jwks_refresh".*\}$/m))[0]);
  t.match(jwks, { result: 'success', trigger: 'start' });
  t.equal(jwks.kids.length, 1, 'the one signing key');
  await demo.waitFor(/\/readyz: 200/);

  const [allowed, unlisted] = bannerLines(banner, 'curl http');
  const ok = await runShell(allowed!);
  t.equal(JSON.parse(ok.stdout).choices[0].message.content, 'Hello from the fake upstream.', 'team-a/chatbot: answered');
  const line = JSON.parse((await demo.waitFor(/^\{.*"event":"request".*"status":200.*\}$/m))[0]);
  t.match(line, { client: 'team-a', serviceAccount: 'team-a/chatbot' });

  const refused = await runShell(unlisted!);
  t.equal(refused.stdout, '{"error":"unauthorized"}', 'team-b/batch: 401');
  const refusal = JSON.parse((await demo.waitFor(/^\{.*"event":"request".*"status":401.*\}$/m))[0]);
  t.match(refusal, { serviceAccount: 'team-b/batch', reason: 'service_account_not_allowed' });

  const [node] = bannerLines(banner, 'node -e ');
  t.equal((await runShell(node!)).stdout.trim(), 'Hello from the fake upstream.', 'the Node SDK line, as printed');
  await demo.interrupt();
  t.match(demo.output, /openai-proxy demo: stopped/);
});
