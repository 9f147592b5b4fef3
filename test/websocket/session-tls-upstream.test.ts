// The upstream is reached over TLS (as api.openai.com is): the session relays through a TLS socket the same
// way, compressed messages are read, and a proxy close reaches both sides.
import t from 'tap';
import { usageOfEvent } from '../../src/websocket/usage';
import { nextClose, nextMessage, startHarness } from './harness';

t.test('wss upstream', async (t) => {
  const harness = await startHarness(t, { tls: true, perMessageDeflate: { threshold: 0 } });
  const { client, server, session } = await harness.connect();
  const atServer = nextMessage(server);
  client.send('{"type":"response.create"}');
  t.equal(String((await atServer).data), '{"type":"response.create"}');
  const atClient = nextMessage(client);
  const done = '{"type":"response.completed","response":{"model":"gpt-5","usage":{"input_tokens":9,"output_tokens":4}}}';
  server.send(done);
  t.equal(String((await atClient).data), done);
  const clientClosed = nextClose(client);
  const serverClosed = nextClose(server);
  session.close(1001, 'shutting_down');
  t.equal((await clientClosed).code, 1001);
  t.equal((await serverClosed).code, 1001);
  const outcome = await harness.ended();
  t.same(outcome.closeCodes, { client: 1001, upstream: 1001, proxy: 1001 });
  t.same(usageOfEvent(harness.texts[0]!)?.usage, { input: 9, output: 4, cachedInput: 0, reasoning: 0 });
});
