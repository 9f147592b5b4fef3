// The exchange sends the Pod's identity token, so it goes only to a host that proves who it is: a token
// endpoint whose certificate does not verify completes no TLS handshake and receives not one plaintext byte
// (reason `tls`); one that accepts TCP and never finishes the handshake is given up after the connect timeout.
import t from 'tap';
import { createServer, type Socket, type AddressInfo } from 'node:net';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';
import { startRawUpstream } from '../helpers/raw-upstream';

t.test('a token endpoint with a self-signed certificate gets nothing', async (t) => {
  const rogue = await startRawUpstream(t, { cert: 'rogue' });
  const k = await startKeyless(t, { waitReady: false, env: { OPENAI_IDENTITY_TOKEN_URL: `${rogue.url}/oauth/token` } });
  const failed = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure');
  t.equal(failed.reason, 'tls');
  t.ok(rogue.connections >= 1, 'the proxy did connect');
  t.equal(rogue.handshakes, 0, 'no TLS handshake completed');
  t.equal(rogue.plaintext(), '', 'not one byte of the exchange arrived');
  t.equal((await request(`${k.proxy.adminUrl}/readyz`)).status, 503);
});

t.test('a token endpoint that never finishes the handshake: connect timeout', async (t) => {
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of held) s.destroy();
    silent.close();
  });
  const url = `https://localhost:${(silent.address() as AddressInfo).port}/oauth/token`;
  const k = await startKeyless(t, { waitReady: false, env: { OPENAI_IDENTITY_TOKEN_URL: url, UPSTREAM_CONNECT_TIMEOUT_MS: '300' } });
  const failed = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure');
  t.equal(failed.reason, 'connect_timeout');
  t.match(failed.message, /Connecting to the token endpoint timed out/);
});
