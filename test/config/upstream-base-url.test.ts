// Contract 2: OPENAI_BASE_URL may carry a path prefix; a trailing /v1 is accepted and not doubled; the query
// string goes up unchanged and Host is the upstream's.
import t from 'tap';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';

const CASES: Array<[string, string]> = [
  ['', '/v1/models?limit=2&after=a%20b'],
  ['/', '/v1/models?limit=2&after=a%20b'],
  ['/v1', '/v1/models?limit=2&after=a%20b'],
  ['/v1/', '/v1/models?limit=2&after=a%20b'],
  ['/openai', '/openai/v1/models?limit=2&after=a%20b'],
  ['/openai/v1', '/openai/v1/models?limit=2&after=a%20b'],
  ['/api/openai/', '/api/openai/v1/models?limit=2&after=a%20b'],
];

for (const [suffix, expected] of CASES) {
  t.test(`OPENAI_BASE_URL=<origin>${suffix}`, async (t) => {
    const up = await startFakeUpstream({ t });
    up.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[]}');
    };
    const keys = [randomKey('sk-test-upstream'), randomKey('pk-test')];
    const proxy = await startProxy(t, { upstream: `${up.url}${suffix}`, env: { OPENAI_API_KEY: keys[0], PROXY_X_API_KEY: keys[1] } });
    const res = await request(`${proxy.url}/v1/models?limit=2&after=a%20b`, { headers: { 'x-api-key': keys[1] } });
    t.equal(res.status, 200);
    t.equal(up.lastRequest()?.url, expected, `upstream saw ${expected}`);
    t.equal(up.lastRequest()?.headers.host, `localhost:${up.port}`, "Host is the upstream's host:port");
    await assertNoKeyLeak(t, proxy, keys);
  });
}
