// Key safety / contract 4: /metrics (and the probes) are served only on the admin listener. On the
// proxy port they are paths outside the allowlist, however they are spelled or whatever key is sent: 404 and
// nothing upstream. The admin listener in turn proxies nothing.
import t from 'tap';
import { rawExchange, request } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';

t.test('/metrics only on the admin listener', async (t) => {
  const s = await startSingleTenant(t);
  const admin = await request(`${s.proxy.adminUrl}/metrics`);
  t.equal(admin.status, 200, 'the admin listener serves /metrics');
  t.match(admin.text, /^# TYPE openai_proxy_requests_total counter$/m);

  const targets = [
    '/metrics',
    '/metrics?format=prometheus',
    '/Metrics',
    '//metrics',
    '/v1/../metrics',
    '/v1/models/../../metrics',
    '/healthz',
    '/readyz',
    `http://127.0.0.1:${s.proxy.adminPort}/metrics`,
  ];
  for (const target of targets) {
    for (const [who, key] of [
      ['with the client key', `X-API-Key: ${s.clientKey}\r\n`],
      ['without a key', ''],
    ]) {
      const res = await rawExchange(s.proxy.port, `GET ${target} HTTP/1.1\r\nHost: x\r\n${key}Connection: close\r\n\r\n`);
      t.ok(res.status >= 400 && res.status < 500, `${target} ${who}: refused with a 4xx (${res.status})`);
      t.notMatch(res.body.toString(), /openai_proxy_|# TYPE/, `${target} ${who}: no metrics text`);
    }
  }
  t.equal((await request(`${s.proxy.url}/metrics`, { headers: s.auth })).status, 404, 'plain /metrics on the proxy port: 404');
  t.equal(s.up.requests.length, 0, 'nothing went upstream');

  const proxied = await request(`${s.proxy.adminUrl}/v1/models`, { headers: s.auth });
  t.equal(proxied.status, 404, 'the admin listener does not proxy');
  t.equal(s.up.requests.length, 0, 'still nothing upstream');
});
