// An upstream that cannot be reached answers 502 upstream_unreachable in OpenAI's
// error shape: connection refused, and an upstream whose certificate does not verify (TLS verification is on),
// which never receives a byte of the request, so never the key.
import t, { type Test } from 'tap';
import { request } from '../helpers/http';
import { closedPort } from '../helpers/ports';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { startRawUpstream, type RawUpstream } from '../helpers/raw-upstream';

async function expect502(t: Test, upstream: string, what: string) {
  const keys = [randomKey('sk-test-upstream'), randomKey('pk-test')];
  const proxy = await startProxy(t, { upstream, env: { OPENAI_API_KEY: keys[0], PROXY_X_API_KEY: keys[1] } });
  const res = await request(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'x-api-key': keys[1], 'content-type': 'application/json' },
    body: '{}',
  });
  t.equal(res.status, 502, `${what}: 502`);
  t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_unreachable', message: String } }, `${what}: upstream_unreachable`);
  const line = await proxy.waitForLog((l) => l.event === 'request' && l.status === 502);
  t.equal(line.error, 'upstream_unreachable', `${what}: logged with its code`);
  const health = await request(`${proxy.url}/health`);
  t.equal(health.status, 200, `${what}: the proxy still serves`);
  await assertNoKeyLeak(t, proxy, keys, [res.text]);
  return keys;
}

t.test('connection refused', async (t) => {
  await expect502(t, `https://127.0.0.1:${await closedPort()}`, 'refused');
});

// The key must never reach a host that did not prove its identity: a raw TLS server records every plaintext
// byte it receives, so it would see the request (and the key) even if it were not valid HTTP.
async function expectNothingReceived(t: Test, rogue: RawUpstream, upstream: string, what: string) {
  const keys = await expect502(t, upstream, what);
  t.ok(rogue.connections > 0, `${what}: the proxy did try to connect`);
  t.equal(rogue.handshakes, 0, `${what}: no TLS handshake completed`);
  t.equal(rogue.plaintext().length, 0, `${what}: not one plaintext byte arrived`);
  t.notOk(
    keys.some((key) => rogue.plaintext().includes(key)),
    `${what}: no key arrived`,
  );
}

t.test('certificate not trusted (self-signed rogue)', async (t) => {
  const rogue = await startRawUpstream(t, { cert: 'rogue', answer: (_head, socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}') });
  await expectNothingReceived(t, rogue, rogue.url, 'untrusted certificate');
});

t.test('certificate for another name', async (t) => {
  // The test CA's server certificate names localhost/127.0.0.1/::1, not 127.0.0.2.
  const wrongName = await startRawUpstream(t, {
    cert: 'server',
    host: '127.0.0.2',
    answer: (_head, socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}'),
  }).catch(() => undefined);
  if (!wrongName) {
    t.pass('127.0.0.2 not available: skipped');
    return;
  }
  await expectNothingReceived(t, wrongName, `https://127.0.0.2:${wrongName.port}`, 'wrong name');
});
