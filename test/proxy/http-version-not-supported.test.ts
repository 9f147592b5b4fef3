// RFC 9110 §15.6.6, RFC 9112 §2.3: a request line claiming a version other than HTTP/1.0 or HTTP/1.1 gets 505
// http_version_not_supported in JSON, the connection closed, nothing upstream. Node's parser reads
// `GET / HTTP/2.0` and `HTTP/0.9` lines as requests, and the proxy used to forward them as HTTP/1.1 (nginx
// answers 505 for 2.0 and 3.0). Versions Node cannot parse at all (HTTP/1.2) get the same 505.
import t from 'tap';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

t.test('HTTP versions other than 1.0 and 1.1: 505', async (t) => {
  const s = await startSingleTenant(t);
  for (const version of ['HTTP/2.0', 'HTTP/3.0', 'HTTP/0.9', 'HTTP/1.2', 'HTTP/9.9']) {
    await expectRefused(t, s, version, `GET /v1/models ${version}\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n\r\n`, {
      status: 505,
      code: 'http_version_not_supported',
    });
  }
});
