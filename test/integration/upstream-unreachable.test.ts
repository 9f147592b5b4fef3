// Issue 2, item 7: an upstream that cannot be reached answers 502 upstream_unreachable in OpenAI's error
// shape: connection refused, and an upstream whose certificate does not verify (TLS verification is on).
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, REPO_ROOT, startProxy } from '../helpers/proxy';

const TLS = join(REPO_ROOT, 'test', 'fixtures', 'tls');

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function expect502(t: Test, upstream: string, what: string) {
  const keys = [randomKey('sk-test-upstream'), randomKey('pk-test')];
  const proxy = await startProxy(t, { upstream, env: { OPENAI_API_KEY: keys[0], PROXY_X_API_KEY: keys[1] } });
  const res = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-api-key': keys[1], 'content-type': 'application/json' }, body: '{}' });
  t.equal(res.status, 502, `${what}: 502`);
  t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_unreachable', message: String } }, `${what}: upstream_unreachable`);
  const line = await proxy.waitForLog((l) => l.event === 'request' && l.status === 502);
  t.equal(line.error, 'upstream_unreachable', `${what}: logged with its code`);
  const health = await request(`${proxy.url}/health`);
  t.equal(health.status, 200, `${what}: the proxy still serves`);
  await assertNoKeyLeak(t, proxy, keys, [res.text]);
}

t.test('connection refused', async (t) => {
  await expect502(t, `https://127.0.0.1:${await freePort()}`, 'refused');
});

t.test('certificate not trusted (self-signed rogue)', async (t) => {
  const rogue = createHttpsServer({ cert: readFileSync(join(TLS, 'rogue.pem')), key: readFileSync(join(TLS, 'rogue-key.pem')) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"stolen":true}');
  });
  let reached = 0;
  rogue.on('request', () => reached++);
  await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    rogue.closeAllConnections();
    rogue.close();
  });
  await expect502(t, `https://localhost:${(rogue.address() as AddressInfo).port}`, 'untrusted certificate');
  t.equal(reached, 0, 'no request was sent to a host that could not prove its identity');
});

t.test('certificate for another name', async (t) => {
  // The test CA's server certificate names localhost/127.0.0.1/::1, not 127.0.0.2.
  const server = createHttpsServer({ cert: readFileSync(join(TLS, 'server.pem')), key: readFileSync(join(TLS, 'server-key.pem')) }, (_req, res) => res.end('{}'));
  let reached = 0;
  server.on('request', () => reached++);
  const listened = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '127.0.0.2', () => resolve(true));
  });
  if (!listened) {
    t.pass('127.0.0.2 not available: skipped');
    return;
  }
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  await expect502(t, `https://127.0.0.2:${(server.address() as AddressInfo).port}`, 'wrong name');
  t.equal(reached, 0, 'no request was sent');
});
