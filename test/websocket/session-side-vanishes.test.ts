// A side that goes away without a close frame (its socket destroyed) closes the other side at once.
import t from 'tap';
import { nextClose, nextMessage, startHarness } from './harness';

t.test('the client vanishes', async (t) => {
  const harness = await startHarness(t);
  const { client, server } = await harness.connect();
  const atServer = nextMessage(server);
  client.send('last words');
  await atServer;
  const closed = nextClose(server);
  client.terminate();
  t.equal((await closed).code, 1006, 'the upstream sees the connection gone, with no close frame');
  const outcome = await harness.ended();
  t.same([outcome.endedBy, outcome.cause], ['client', 'went_away']);
  t.same(outcome.closeCodes, {});
  t.equal(outcome.fromClient.messages, 1);
});

t.test('the upstream vanishes after a message', async (t) => {
  const harness = await startHarness(t);
  const { client, server } = await harness.connect();
  const atClient = nextMessage(client);
  const closed = nextClose(client);
  server.send('in flight');
  server.terminate();
  t.equal(String((await atClient).data), 'in flight', 'what was in flight is still delivered');
  t.equal((await closed).code, 1006);
  const outcome = await harness.ended();
  t.same([outcome.endedBy, outcome.cause], ['upstream', 'went_away']);
});

t.test('the client socket fails', async (t) => {
  const harness = await startHarness(t);
  const { server, proxyClient } = await harness.connect();
  const closed = nextClose(server);
  proxyClient.destroy(new Error('reset'));
  t.equal((await closed).code, 1006);
  const outcome = await harness.ended();
  t.equal(outcome.endedBy, 'client');
  t.equal(outcome.errors.client, 'error', 'an error without a code is named as such');
});
