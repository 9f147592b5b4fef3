import { join } from 'node:path';
import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from './real-client';

const FIXTURES = join(__dirname, '..', 'fixtures', 'tls');

t.test('rediss:// with the CA file, verification on, SNI the host', async (t) => {
  const redis = await startRedis(t, { tls: true, user: { name: 'proxy', password: 'tls-Secret-1' } });
  const { client, connected } = openClient(t, { url: redis.url, caFile: join(FIXTURES, 'ca.pem'), username: () => 'proxy', password: () => 'tls-Secret-1' });
  await connected();
  t.equal(await client.send(['PING']), 'PONG');
});

t.test("rediss:// without a CA file uses Node's CAs (the test CA comes in by NODE_EXTRA_CA_CERTS)", async (t) => {
  const redis = await startRedis(t, { tls: true });
  const { client, connected } = openClient(t, { url: redis.url });
  await connected();
  t.equal(await client.send(['PING']), 'PONG');
});

t.test('a certificate the CA file does not vouch for is refused', async (t) => {
  const redis = await startRedis(t, { tls: true });
  const { nextEvent } = openClient(t, { url: redis.url, caFile: join(FIXTURES, 'rogue.pem'), backoff: { firstMs: 60_000, maxMs: 60_000 } });
  t.match(await nextEvent('disconnected'), /^disconnected:connect:cannot connect to Redis: .*(certificate|self.signed)/i);
});

t.test('an address the certificate does not name is refused', async (t) => {
  const redis = await startRedis(t, { tls: true });
  const { nextEvent } = openClient(t, { url: `rediss://127.0.0.2:${redis.port}`, backoff: { firstMs: 60_000, maxMs: 60_000 } });
  t.match(await nextEvent('disconnected'), /^disconnected:connect:cannot connect to Redis: .*(IP|altnames|ECONNREFUSED)/);
});

t.test('plain redis:// to a TLS port does not connect', async (t) => {
  const redis = await startRedis(t, { tls: true });
  const { nextEvent } = openClient(t, { url: `redis://127.0.0.1:${redis.port}`, connectTimeoutMs: 500, backoff: { firstMs: 60_000, maxMs: 60_000 } });
  t.match(await nextEvent('disconnected'), /^disconnected:connect:/);
});
