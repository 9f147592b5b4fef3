// Compressed bodies pass through compressed, both ways: the proxy neither decodes nor
// re-encodes, and Content-Encoding travels with the bytes.
import t from 'tap';
import { gzip, handlers, sha256 } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('gzip response bodies come back as the upstream sent them', async (t) => {
  const s = await startSingleTenant(t);
  const json = JSON.stringify({ object: 'list', data: Array.from({ length: 200 }, (_, i) => ({ id: `model-${i}`, object: 'model' })) });
  const gz = gzip(json);
  s.up.handle = handlers.gzipJson(gz);
  const res = await request(`${s.proxy.url}/v1/models`, { headers: { ...s.auth, 'accept-encoding': 'gzip, deflate, br' } });
  t.equal(res.status, 200);
  t.equal(s.up.lastRequest()!.headers['accept-encoding'], 'gzip, deflate, br', 'Accept-Encoding went up unchanged');
  t.equal(res.headers['content-encoding'], 'gzip', 'Content-Encoding kept');
  t.equal(res.body.length, gz.length, 'compressed length');
  t.equal(sha256(res.body), sha256(gz), 'the compressed bytes, not a re-encoding');
  await noKeyLeak(t, s);
});

t.test('gzip request bodies go up as the client sent them', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.echo();
  const gz = gzip(JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }));
  const res = await request(`${s.proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...s.auth, 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length },
    body: gz,
  });
  t.equal(res.status, 200);
  const rec = s.up.lastRequest()!;
  t.equal(rec.headers['content-encoding'], 'gzip');
  t.equal(rec.bodySha256, sha256(gz), 'compressed request bytes unchanged');
  await noKeyLeak(t, s);
});
