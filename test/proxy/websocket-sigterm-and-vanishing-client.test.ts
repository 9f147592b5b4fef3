// The ends of a session: a client that vanishes without a close frame closes the upstream side at once; on
// SIGTERM open sessions run for SHUTDOWN_GRACE_MS, then both sides get close 1001 and the process exits 1 (it
// had to cut them).
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import { startFakeRealtime } from '../helpers/fake-realtime';
import { randomKey, startProxy } from '../helpers/proxy';

const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

async function session(t: Test, env: Record<string, string> = {}) {
  const up = await startFakeRealtime(t);
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey, ...env } });
  const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/v1/realtime?model=gpt-realtime`, { headers: { 'x-api-key': clientKey } });
  const server = await up.nextSession();
  await new Promise((resolve) => client.once('open', resolve));
  return { proxy, client, server };
}

t.test('a client that vanishes without a close frame', async (t) => {
  const { proxy, client, server } = await session(t);
  const gone = closed(server);
  (client as unknown as { _socket: { destroy(): void } })._socket.destroy();
  t.equal(await gone, 1006, 'the upstream side is closed at once (no close frame was sent: 1006)');
  const line = await proxy.waitForLog((l) => l.event === 'request' && l.status === 101);
  t.match(line, { aborted: true, websocket: { endedBy: 'client' } });
});

t.test('SIGTERM: the session runs out the grace period, then 1001 to both sides', async (t) => {
  const { proxy, client, server } = await session(t, { SHUTDOWN_GRACE_MS: '1500' });
  const atClient = closed(client);
  const atServer = closed(server);
  const started = Date.now();
  const exit = proxy.stop('SIGTERM');
  t.equal(await atClient, 1001, 'the client gets going away');
  t.equal(await atServer, 1001, 'so does the upstream');
  t.ok(Date.now() - started >= 1400, 'after the grace period, not before');
  t.equal(await exit, 1, 'exit 1: a session was cut');
});
