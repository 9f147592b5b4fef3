// A 2 MiB message is relayed whole both ways; from the upstream it is not read (over the 1 MiB bound) and is
// reported, and the reading goes on with the next message.
import t from 'tap';
import { nextMessage, startHarness } from './harness';

for (const perMessageDeflate of [false, { threshold: 0 }]) {
  t.test(`permessage-deflate ${perMessageDeflate ? 'on' : 'off'}`, async (t) => {
    const harness = await startHarness(t, { perMessageDeflate });
    const { client, server } = await harness.connect();
    const big = JSON.stringify({ type: 'response.output_audio.delta', delta: 'QUJD'.repeat(512 * 1024) });
    t.ok(big.length > 2 * 1024 * 1024);

    const atServer = nextMessage(server);
    client.send(big);
    t.equal(String((await atServer).data), big, 'client to upstream');

    const atClient = nextMessage(client);
    server.send(big);
    t.equal(String((await atClient).data), big, 'upstream to client');
    const atClient2 = nextMessage(client);
    server.send('{"type":"after"}');
    await atClient2;

    client.close();
    const outcome = await harness.ended();
    t.same(harness.texts, ['{"type":"after"}'], 'only the small message was read');
    t.same(harness.unread, [['message_too_large', false]]);
    t.same(outcome.reading, { stopped: undefined, unreadMessages: 1 });
  });
}
