// session.close(1001) while a large message is in flight: the close goes out after that frame, never inside
// it, so the client receives the whole message and then the close; the upstream gets its close too.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { nextClose, startHarness } from './harness';

t.test('close while a 4 MiB frame is half relayed', async (t) => {
  const harness = await startHarness(t);
  const { client, server, session, proxyUpstream } = await harness.connect();
  const big = randomBytes(4 * 1024 * 1024);
  const received: Buffer[] = [];
  client.on('message', (data: Buffer) => received.push(data));
  const clientClosed = nextClose(client);
  const serverClosed = nextClose(server);
  let chunks = 0;
  proxyUpstream.on('data', () => {
    // Runs after the session relayed this chunk: the first one holds the frame's header and its first bytes.
    if (++chunks === 1) session.close(1001, 'shutting down');
  });
  server.send(big);
  server.send('never relayed: after the close');
  t.same(await clientClosed, { code: 1001, reason: 'shutting down' });
  t.equal(received.length, 1, 'one message before the close, and nothing after it');
  t.ok(received[0]?.equals(big), 'the whole frame, intact');
  t.equal((await serverClosed).code, 1001);
  const outcome = await harness.ended();
  t.ok(chunks > 1, 'the frame came in several chunks');
  t.equal(outcome.endedBy, 'proxy');
});
