// A peer that stops reading: the proxy stops reading the other side (its socket paused), so what the proxy
// holds for the session stays bounded while the sender's own buffer grows. Once the peer reads again,
// everything arrives, in order. Both directions.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { startHarness } from './harness';

const MESSAGES = 64;
const SIZE = 1024 * 1024;

function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setTimeout(poll, 10));
    poll();
  });
}

function socketOf(ws: WebSocket): Duplex {
  return (ws as unknown as { _socket: Duplex })._socket;
}

for (const stalled of ['client', 'upstream'] as const) {
  t.test(`the ${stalled} stops reading`, async (t) => {
    const harness = await startHarness(t);
    const peers = await harness.connect();
    const [reader, sender] = stalled === 'client' ? [peers.client, peers.server] : [peers.server, peers.client];
    const [proxyToReader, proxyFromSender] = stalled === 'client' ? [peers.proxyClient, peers.proxyUpstream] : [peers.proxyUpstream, peers.proxyClient];
    socketOf(reader).pause();

    const random = randomBytes(SIZE);
    for (let i = 0; i < MESSAGES; i++) {
      // ws queues the buffer itself, not a copy: each message needs its own.
      const payload = Buffer.from(random);
      payload.writeUInt32BE(i, 0);
      sender.send(payload);
    }
    await until(() => proxyFromSender.isPaused());
    t.pass('the proxy paused its read of the sender');
    // Give the kernel buffers time to fill: the proxy must hold no more than a chunk or two past its high-water mark.
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      peak = Math.max(peak, proxyToReader.writableLength);
    }
    t.ok(peak <= 256 * 1024, `the proxy's queue to the ${stalled} stays bounded (${peak} bytes)`);
    t.ok(sender.bufferedAmount > 8 * SIZE, `the rest waits at the sender (${sender.bufferedAmount} bytes)`);

    const seen: number[] = [];
    const all = new Promise<void>((resolve) =>
      reader.on('message', (data: Buffer) => {
        seen.push(data.readUInt32BE(0));
        if (seen.length === MESSAGES) resolve();
      }),
    );
    socketOf(reader).resume();
    await all;
    t.same(
      seen,
      Array.from({ length: MESSAGES }, (_, i) => i),
      'all messages, in order',
    );
  });
}
