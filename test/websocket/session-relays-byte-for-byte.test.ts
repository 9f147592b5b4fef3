// Text and binary messages cross the proxy both ways unchanged, compressed or not: every byte the proxy reads
// from one side is what it writes to the other, in the same order, and the outcome counts them.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { nextClose, nextMessage, startHarness, type Wire } from './harness';

function sameBytes(t: Test, wire: Wire): void {
  t.ok(Buffer.concat(wire.fromClient).equals(Buffer.concat(wire.toUpstream)), 'client to upstream: the bytes read are the bytes written');
  t.ok(Buffer.concat(wire.fromUpstream).equals(Buffer.concat(wire.toClient)), 'upstream to client: the bytes read are the bytes written');
}

for (const perMessageDeflate of [false, { threshold: 0 }]) {
  t.test(`permessage-deflate ${perMessageDeflate ? 'on' : 'off'}`, async (t) => {
    const harness = await startHarness(t, { perMessageDeflate, spy: true });
    const { client, server, wire } = await harness.connect();
    const binary = randomBytes(70_000);
    const text = JSON.stringify({ type: 'session.update', session: { instructions: 'ünïcödé '.repeat(50) } });

    const atServer = nextMessage(server);
    client.send(text);
    t.same(await atServer, { data: Buffer.from(text), isBinary: false }, 'text to the upstream');
    const atServer2 = nextMessage(server);
    client.send(binary);
    t.same(await atServer2, { data: binary, isBinary: true }, 'binary to the upstream');

    const atClient = nextMessage(client);
    server.send(text);
    t.same(await atClient, { data: Buffer.from(text), isBinary: false }, 'text to the client');
    const atClient2 = nextMessage(client);
    server.send(binary);
    t.same(await atClient2, { data: binary, isBinary: true }, 'binary to the client');

    const closed = nextClose(server);
    client.close(1000, 'bye');
    await closed;
    const outcome = await harness.ended();
    sameBytes(t, wire);
    t.equal(outcome.fromClient.bytes, Buffer.concat(wire.fromClient).length);
    t.equal(outcome.fromUpstream.bytes, Buffer.concat(wire.fromUpstream).length);
    t.same([outcome.fromClient.messages, outcome.fromUpstream.messages], [2, 2], 'two messages each way');
    t.same(harness.texts, [text], 'the server text message was read');
    t.equal((Buffer.concat(wire.fromUpstream)[0]! & 0x40) !== 0, Boolean(perMessageDeflate), 'compressed on the wire (RSV1) only with permessage-deflate');
  });
}
