// Path tricks (through the real proxy): a few thousand seeded random request targets, written as raw
// bytes over keep-alive connections. The fake upstream only ever receives paths inside the allowlist, by the
// proxy's rule and by its own reading of them (percent-decoded once, dot segments resolved); each forwarded
// path is exactly what src/http/routes.ts normalised; everything else is refused with a 4xx (or a closed
// connection), and the proxy keeps serving.
import t from 'tap';
import { normaliseTarget } from '../../src/http/routes';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';
import { generateTarget, inAllowlist, prng, referencePath } from '../helpers/paths';
import { RawKeepAliveClient } from '../helpers/raw-client';

const SEED = 0x5eed_2026;
const COUNT = 3000;

t.test(`${COUNT} random targets over keep-alive: nothing outside the allowlist reaches the upstream`, async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = (_req, res) => void res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }).end('{}');
  const client = new RawKeepAliveClient(s.proxy.port);
  t.teardown(() => client.close());
  const rand = prng(SEED);
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let forwarded = 0;
  for (let i = 0; i < COUNT; i++) {
    const target = generateTarget(rand);
    const method = i % 3 === 0 ? 'POST' : 'GET';
    const body = method === 'POST' ? '{}' : '';
    const head = `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nX-API-Key: ${s.clientKey}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const before = s.up.requests.length;
    const answer = await client.send(Buffer.from(head, 'utf8'));
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    const reached = s.up.requests.slice(before);
    // What Node's parser hands the proxy: the target's bytes as latin1, less trailing spaces (the request line
    // `GET /v1/x  HTTP/1.1` is read leniently as the target `/v1/x`).
    const seen = Buffer.from(target, 'utf8').toString('latin1').replace(/ +$/, '');
    const expected = normaliseTarget(seen);
    for (const rec of reached) {
      forwarded++;
      const path = rec.url.split('?')[0]!;
      const problems: string[] = [];
      if (!inAllowlist(path)) problems.push('outside the allowlist');
      if (!inAllowlist(referencePath(path, 'once'))) problems.push(`reads as ${JSON.stringify(referencePath(path, 'once'))}`);
      if (!expected || rec.url !== (expected.query ? `${expected.path}?${expected.query}` : expected.path))
        problems.push(`not the normalised target ${JSON.stringify(expected)}`);
      if (problems.length) failures.push(`#${i} ${JSON.stringify(target)} -> upstream ${JSON.stringify(rec.url)}: ${problems.join('; ')}`);
    }
    if (reached.length > 1) failures.push(`#${i} ${JSON.stringify(target)}: forwarded ${reached.length} times`);
    if (reached.length === 0 && !(answer.status === 0 || (answer.status >= 400 && answer.status < 500)))
      failures.push(`#${i} ${JSON.stringify(target)}: refused with ${answer.status}`);
    if (reached.length === 1 && answer.status !== 200) failures.push(`#${i} ${JSON.stringify(target)}: forwarded but answered ${answer.status}`);
  }
  t.same(failures.slice(0, 20), [], `every forwarded path is inside the allowlist (${failures.length} failures)`);
  t.ok(forwarded > COUNT / 40, `many targets were forwarded (${forwarded}), so the upstream side was exercised`);
  t.comment(`statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${client.connections} connections for ${COUNT} requests`);
  t.ok(client.connections < COUNT, 'keep-alive carried several requests per connection');
  t.equal(s.proxy.child.exitCode, null, 'the proxy is still running');
  await noKeyLeak(t, s);
});
