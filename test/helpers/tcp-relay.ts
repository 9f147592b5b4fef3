/**
 * A TCP relay on a port of its own in front of another port, to make a server slow or unreachable on demand.
 *
 * Stable exports:
 *   startRelay(t, targetPort) -> Promise<Relay>; teardown closes it
 *   Relay          { port, delayMs, refuse, connections, drop(), close() }
 *     delayMs      added to every chunk from the target to the client (settable at any time; order is kept)
 *     refuse       while true, new connections are closed at once (existing ones are untouched)
 *     connections  how many client connections were accepted so far
 *     drop()       destroys every open connection, both sides
 */
import net, { type AddressInfo } from 'node:net';

export interface Relay {
  port: number;
  delayMs: number;
  refuse: boolean;
  connections: number;
  drop(): void;
  close(): Promise<void>;
}

export async function startRelay(t: { teardown(fn: () => unknown): void }, targetPort: number): Promise<Relay> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (relay.refuse) return void client.destroy();
    relay.connections++;
    const target = net.connect({ host: '127.0.0.1', port: targetPort });
    open.add(client).add(target);
    client.pipe(target);
    // Each chunk waits delayMs after the previous one was released, so a delay never reorders bytes.
    let releaseAt = 0;
    target.on('data', (chunk: Buffer) => {
      releaseAt = Math.max(Date.now() + relay.delayMs, releaseAt);
      if (releaseAt <= Date.now()) return void client.write(chunk);
      setTimeout(() => client.destroyed || client.write(chunk), releaseAt - Date.now());
    });
    const end = () => {
      client.destroy();
      target.destroy();
      open.delete(client);
      open.delete(target);
    };
    client.on('close', end).on('error', end);
    target.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relay: Relay = {
    port: (server.address() as AddressInfo).port,
    delayMs: 0,
    refuse: false,
    connections: 0,
    drop: () => {
      for (const socket of open) socket.destroy();
    },
    close: async () => {
      relay.drop();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  t.teardown(() => relay.close());
  return relay;
}
