// Uploads sent the way curl sends large ones (Expect: 100-continue) go through: the client
// gets its 100 Continue, the body arrives upstream byte-for-byte, and Expect itself is not forwarded.
import t from 'tap';
import { request as httpRequest } from 'node:http';
import { pseudoRandomBytes, sha256 } from '../helpers/fake-upstream';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('Expect: 100-continue upload', async (t) => {
  const s = await startSingleTenant(t);
  const body = pseudoRandomBytes(3 * 1024 * 1024, 99);
  const result = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
    let continued = false;
    const req = httpRequest(`${s.proxy.url}/v1/audio/transcriptions`, {
      method: 'POST',
      agent: false,
      headers: { ...s.auth, 'content-type': 'multipart/form-data; boundary=x', 'content-length': body.length, expect: '100-continue' },
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
    });
    req.on('error', reject);
  });
  t.ok(result.continued, 'the client got 100 Continue');
  t.equal(result.status, 200);
  const rec = s.up.lastRequest()!;
  t.equal(rec.bodySha256, sha256(body), 'the body arrived byte-for-byte');
  t.equal(rec.headers.expect, undefined, 'Expect is not forwarded');
  await noKeyLeak(t, s);
});
