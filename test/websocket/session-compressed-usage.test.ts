// With permessage-deflate negotiated by a real upstream, usage is read from a compressed `response.done`, with
// and without context takeover, when the event comes whole and when it comes in compressed fragments.
import t from 'tap';
import { usageOfEvent } from '../../src/websocket/usage';
import { nextMessage, startHarness } from './harness';

function done(id: number, input: number): string {
  return JSON.stringify({
    type: 'response.done',
    event_id: `event_${id}`,
    response: {
      id: `resp_${id}`,
      status: 'completed',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'the same words again '.repeat(40) }] }],
      usage: { total_tokens: input + 21, input_tokens: input, output_tokens: 21, input_token_details: { cached_tokens: 8 } },
    },
  });
}

for (const serverNoContextTakeover of [false, true]) {
  t.test(`server_no_context_takeover ${serverNoContextTakeover}`, async (t) => {
    const harness = await startHarness(t, { perMessageDeflate: { threshold: 0, serverNoContextTakeover } });
    const { client, server } = await harness.connect();
    t.match(String(client.extensions), /permessage-deflate/, 'negotiated');
    const first = done(1, 100);
    const second = done(2, 200);

    let atClient = nextMessage(client);
    server.send('{"type":"response.output_text.delta","delta":"the same words again"}');
    server.send(first);
    await atClient;
    atClient = new Promise((resolve) => {
      client.on('message', (data) => String(data) === second && resolve({ data: Buffer.from(String(data)), isBinary: false }));
    });
    const cut = Math.floor(second.length / 3);
    server.send(second.slice(0, cut), { fin: false });
    server.ping();
    server.send(second.slice(cut, 2 * cut), { fin: false });
    server.send(second.slice(2 * cut), { fin: true });
    t.equal(String((await atClient).data), second, 'the fragmented event reached the client whole');

    client.close();
    const outcome = await harness.ended();
    const usages = harness.texts.map(usageOfEvent).filter((u) => u !== undefined);
    t.same(
      usages.map((u) => u!.usage),
      [
        { input: 100, output: 21, cachedInput: 8, reasoning: 0 },
        { input: 200, output: 21, cachedInput: 8, reasoning: 0 },
      ],
    );
    t.equal(harness.texts.length, 3, 'every server text message was read');
    t.same(harness.unread, []);
    t.same(outcome.reading, { stopped: undefined, unreadMessages: 0 });
  });
}
