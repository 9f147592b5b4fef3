// Fragmented messages, with pings between the fragments, cross the proxy both ways and arrive whole; the
// outcome counts each as one message.
import t from 'tap';
import { nextMessage, startHarness } from './harness';

t.test('fragments both ways', async (t) => {
  const harness = await startHarness(t);
  const { client, server } = await harness.connect();

  const atServer = nextMessage(server);
  client.send('{"type":"input_text",', { fin: false });
  client.ping();
  client.send('"text":"hi"}', { fin: true });
  t.equal(String((await atServer).data), '{"type":"input_text","text":"hi"}');

  const atClient = nextMessage(client);
  server.send(Buffer.from([1, 2]), { fin: false, binary: true });
  server.ping();
  server.send(Buffer.from([3]), { fin: false, binary: true });
  server.send(Buffer.from([4]), { fin: true, binary: true });
  const got = await atClient;
  t.same(got, { data: Buffer.from([1, 2, 3, 4]), isBinary: true });

  const atClient2 = nextMessage(client);
  server.send('{"a":', { fin: false });
  server.send('1}', { fin: true });
  await atClient2;

  server.close(1000);
  const outcome = await harness.ended();
  t.same([outcome.fromClient.messages, outcome.fromUpstream.messages], [1, 2]);
  t.same(harness.texts, ['{"a":1}'], 'the fragmented server text was read whole');
});
