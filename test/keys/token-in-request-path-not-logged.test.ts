// A ServiceAccount token pasted into a request path (a client bug, like a key in a URL) is logged as its
// fingerprint, never as itself: the path is the one piece of client text the access log keeps.
import t from 'tap';
import { request } from '../helpers/http';
import { fingerprint } from '../helpers/keys';
import { startServiceAccountStack } from '../helpers/service-account-stack';

t.test('a token in the path is logged as its fingerprint', async (t) => {
  const s = await startServiceAccountStack(t);
  const token = s.mint();
  const logged = `<token ${fingerprint(token)}>`;
  const cases: Array<[string, Record<string, string>, number, string]> = [
    [`/v1/${token}/files`, { 'x-api-key': s.keys.alice }, 404, `/v1/${logged}/files`],
    [`/v1/models/${token}`, {}, 401, `/v1/models/${logged}`],
    [`/v1/models/${token}`, { authorization: `Bearer ${token}` }, 200, `/v1/models/${logged}`],
  ];
  for (const [path, headers, status] of cases) t.equal((await request(`${s.proxy.url}${path}`, { headers })).status, status);
  await s.proxy.waitForLog(() => s.proxy.logs.filter((l) => l.event === 'request').length === cases.length);
  t.same(
    s.proxy.logs.filter((l) => l.event === 'request').map((l) => l.path),
    cases.map((c) => c[3]),
  );
  t.notOk(s.proxy.stdout.includes(token.slice(0, 40)), 'no part of the token in the log');
  s.upstream.requests.length = 0; // the forwarded path held the token because this test put it there
});
