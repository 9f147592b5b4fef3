// session.close(1008, 'budget_exceeded') reaches both sides with that code and reason; each answers, and the
// session ends, named as the proxy's doing. A second close, or one after the end, changes nothing.
import t from 'tap';
import { nextClose, nextMessage, startHarness } from './harness';

t.test('budget exceeded mid-session', async (t) => {
  const harness = await startHarness(t);
  const { client, server, session } = await harness.connect();
  const atClient = nextMessage(client);
  server.send('{"type":"response.done"}');
  await atClient;
  const clientClosed = nextClose(client);
  const serverClosed = nextClose(server);
  session.close(1008, 'budget_exceeded');
  session.close(1001, 'too late');
  t.same(await clientClosed, { code: 1008, reason: 'budget_exceeded' });
  t.same(await serverClosed, { code: 1008, reason: 'budget_exceeded' });
  const outcome = await harness.ended();
  t.same([outcome.endedBy, outcome.cause, outcome.forced], ['proxy', 'proxy_close', false]);
  t.same(outcome.closeCodes, { client: 1008, upstream: 1008, proxy: 1008 }, 'both sides answered with the code they were sent');
  t.ok(session.ended);
  session.close(1001);
  t.same(session.counts().fromUpstream, { bytes: outcome.fromUpstream.bytes, messages: 1 });
});

t.test('peers that never answer are cut off after the close timeout', async (t) => {
  const harness = await startHarness(t, { closeTimeoutMs: 50 });
  const { client, server, session, proxyUpstream } = await harness.connect();
  // The upstream's socket stops being read: it will never see, nor answer, the close.
  (server as unknown as { _socket: { pause(): void } })._socket.pause();
  proxyUpstream.pause();
  const clientClosed = nextClose(client);
  session.close(1001, 'shutting down');
  t.equal((await clientClosed).code, 1001);
  const outcome = await harness.ended();
  t.equal(outcome.forced, true, 'destroyed once the close timeout passed');
  t.same(outcome.closeCodes, { client: 1001, proxy: 1001 });
});
