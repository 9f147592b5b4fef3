// A close handshake started by either side is relayed: the other side sees the same code and reason, the
// answer goes back, both sockets are closed, and the outcome names who ended it and the codes each sent.
import t from 'tap';
import { nextClose, startHarness } from './harness';

t.test('the client closes', async (t) => {
  const harness = await startHarness(t);
  const { client, server, proxyClient, proxyUpstream } = await harness.connect();
  const atServer = nextClose(server);
  const atClient = nextClose(client);
  client.close(4001, 'client done');
  t.same(await atServer, { code: 4001, reason: 'client done' });
  t.same(await atClient, { code: 4001, reason: 'client done' }, 'the upstream echoed the code back through the proxy');
  const outcome = await harness.ended();
  t.same([outcome.endedBy, outcome.cause, outcome.forced], ['client', 'close_handshake', false]);
  t.same(outcome.closeCodes, { client: 4001, upstream: 4001 });
  t.ok(proxyClient.destroyed && proxyUpstream.destroyed, 'both sockets closed');
});

t.test('the upstream closes', async (t) => {
  const harness = await startHarness(t);
  const { client, server } = await harness.connect();
  const atClient = nextClose(client);
  server.close(1011, 'server error');
  t.same(await atClient, { code: 1011, reason: 'server error' });
  const outcome = await harness.ended();
  t.same([outcome.endedBy, outcome.cause], ['upstream', 'close_handshake']);
  t.same(outcome.closeCodes, { client: 1011, upstream: 1011 });
});

t.test('a close frame without a code', async (t) => {
  const harness = await startHarness(t);
  const { client } = await harness.connect();
  client.close();
  const outcome = await harness.ended();
  t.same(outcome.closeCodes, { client: 1005, upstream: 1005 });
});
