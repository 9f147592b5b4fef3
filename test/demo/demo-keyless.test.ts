// `make demo-keyless` shows a keyless upstream on a laptop: the exchange at a local HTTPS token endpoint
// (logged with trigger start and the access token's fingerprint), /readyz 503 until it, then 200, and the
// printed curl answered with that access token upstream.
import t from 'tap';
import { bannerLines, buildForMake, cleanEnv, runShell, startMakeTarget } from './make-target';

t.test('the exchange, the /readyz change, and a request sent with the access token', async (t) => {
  await buildForMake();
  const demo = startMakeTarget(t, 'demo-keyless', cleanEnv({ PORT: '0', ADMIN_PORT: '0' }));
  const banner = await demo.banner();
  t.match(banner, /The proxy holds no upstream key at all/);
  const exchange = JSON.parse((await demo.waitFor(/^\{.*"event":"credential_refresh".*\}$/m))[0]);
  t.match(exchange, { credential: 'upstream', result: 'success', trigger: 'start', fingerprint: /^[0-9a-f]{8}$/ });
  await demo.waitFor(/\/readyz: 200/);
  t.match(demo.output, /\/readyz: 503 \{"status":"waiting_for_upstream_credential"\}\n[\s\S]*\/readyz: 200 \{"status":"ready"\}/, '/readyz: 503, then 200');

  const [curl] = bannerLines(banner, 'curl http');
  const answer = await runShell(curl!);
  t.equal(JSON.parse(answer.stdout).choices[0].message.content, 'Hello from the fake upstream.', 'the printed curl, as printed');
  const upstream = await demo.waitFor(/fake upstream: POST \/v1\/chat\/completions with Authorization: Bearer <([0-9a-f]{8})>/);
  t.equal(upstream[1], exchange.fingerprint, 'the upstream received the access token the exchange logged');
  await demo.interrupt();
  t.match(demo.output, /openai-proxy demo: stopped/);
});
