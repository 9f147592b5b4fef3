// Key safety: the proxy's own error bodies never echo what the client sent, so no key can come back in
// one, wherever the client put it (header, path, query, body). Each error is provoked with keys in every
// reflected place and its body checked. (Errors from the upstream pass through as-is: that is the upstream's
// text, not the proxy's; upstream-errors-as-is.test.ts.)
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { handlers } from '../helpers/fake-upstream';
import { rawExchange } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';

t.test('no error body holds a key or anything else the client sent', async (t) => {
  const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: '1000', UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '500' } });
  const stray = `sk-proj-${randomBytes(40).toString('base64url')}`;
  s.proxy.keys.client.push(stray);
  const secrets = [s.clientKey, s.upstreamKey, stray];
  const key = `X-API-Key: ${s.clientKey}\r\n`;
  const q = `?key=${stray}&other=${s.clientKey}`;
  const cases: Array<[string, string, number]> = [
    ['401', `GET /v1/models${q} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${stray}\r\nAuthorization: Bearer ${s.upstreamKey}\r\n\r\n`, 401],
    ['404', `GET /v1/${s.clientKey}/${s.upstreamKey}${q} HTTP/1.1\r\nHost: x\r\n${key}\r\n`, 404],
    ['405', `TRACE /v1/models${q} HTTP/1.1\r\nHost: x\r\n${key}X-Echo: ${stray}\r\n\r\n`, 405],
    ['400 upgrade', `GET /v1/models${q} HTTP/1.1\r\nHost: x\r\n${key}Connection: Upgrade\r\nUpgrade: ${stray}\r\n\r\n`, 400],
    ['400 malformed', `GET /v1/models${q} HTTP/1.1\r\nHost: x\r\n${key}X-${stray}: \0\r\n\r\n`, 400],
    ['413', `POST /v1/chat/completions${q} HTTP/1.1\r\nHost: x\r\n${key}Content-Length: 5000\r\n\r\n{"k":"${stray}"}`, 413],
    ['417', `POST /v1/chat/completions${q} HTTP/1.1\r\nHost: x\r\n${key}Expect: ${stray}\r\nContent-Length: 2\r\n\r\n{}`, 417],
    ['431', `GET /v1/models${q} HTTP/1.1\r\nHost: x\r\n${key}X-Big: ${stray.repeat(400)}\r\n\r\n`, 431],
    ['502', `POST /v1/embeddings${q} HTTP/1.1\r\nHost: x\r\n${key}Content-Length: ${stray.length}\r\n\r\n${stray}`, 502],
    ['504', `POST /v1/responses${q} HTTP/1.1\r\nHost: x\r\n${key}Content-Length: ${stray.length}\r\n\r\n${stray}`, 504],
  ];
  s.up.handle = (req, res, rec) => (rec.url.startsWith('/v1/embeddings') ? handlers.resetBeforeHeaders() : handlers.stall())(req, res, rec);
  for (const [name, bytes, status] of cases) {
    const res = await rawExchange(s.proxy.port, `${bytes.replace(/\r\n\r\n/, '\r\nConnection: close\r\n\r\n')}`, { timeoutMs: 10_000 });
    t.equal(res.status, status, `${name}: answered ${status}`);
    const text = res.raw.toString('latin1');
    t.notOk(
      secrets.some((secret) => text.includes(secret)),
      `${name}: no key in the answer, head or body`,
    );
    t.notMatch(res.body.toString(), /v1\/|key=|X-Echo|X-Big/, `${name}: nothing of the request echoed`);
  }
  s.up.requests.length = 0; // the 502/504 bodies were this test's own doing: the stray key was its payload
});
