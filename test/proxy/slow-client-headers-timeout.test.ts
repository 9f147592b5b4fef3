// Server-side header timeout, so a slow client (slowloris) cannot hold a socket forever.
// The limit is the proxy's own (not configurable); this waits up to 90 s for the socket to be let go.
import t from 'tap';
import { connect } from 'node:net';
import { within } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.setTimeout(150_000);

t.test('headers trickling in forever: the connection is closed', async (t) => {
  const s = await startSingleTenant(t);
  const socket = connect(s.proxy.port, '127.0.0.1');
  socket.on('error', () => {});
  let answer = '';
  socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n`);
  let n = 0;
  const trickle = setInterval(() => !socket.destroyed && socket.write(`X-Slow-${n++}: y\r\n`), 2000);
  t.teardown(() => clearInterval(trickle));
  await within(closed, 90_000, 'the slow client to be let go').catch((e: Error) => t.fail(e.message));
  clearInterval(trickle);
  const status = answer.split('\r\n')[0];
  t.ok(status === '' || /^HTTP\/1\.1 408 /.test(status), `closed, or answered 408 (${status || 'closed'})`);
  t.equal(s.up.requests.length, 0, 'nothing went upstream');
  t.equal((await request(`${s.proxy.url}/health`)).status, 200, 'still serving');
  await noKeyLeak(t, s);
});
