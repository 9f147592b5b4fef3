import { Duplex } from 'node:stream';
import t from 'tap';
import { RedisClient, type RedisClientOptions } from '../../src/redis/client';
import type { RedisError } from '../../src/redis/errors';
import { HELLO_REPLY, commands } from './fake-redis';

/** Starts a client on a fake socket and returns its first write (the handshake) and a way to answer it. */
async function handshakeOf(t: { teardown(fn: () => unknown): void }, options: Partial<RedisClientOptions>) {
  let firstWrite!: (text: string) => void;
  const written = new Promise<string>((resolve) => (firstWrite = resolve));
  const socket = new Duplex({
    read() {},
    write: (chunk: Buffer, _e, cb) => {
      firstWrite(chunk.toString());
      cb();
    },
    // As net.Socket does: what was written while corked goes out as one write.
    writev: (chunks, cb) => {
      firstWrite(Buffer.concat(chunks.map((c) => c.chunk as Buffer)).toString());
      cb();
    },
  });
  const failures: RedisError[] = [];
  let connected = false;
  const client = new RedisClient({
    url: 'redis://fake',
    ...options,
    openSocket: async () => socket,
    backoff: { firstMs: 60_000, maxMs: 60_000 },
    hooks: { connected: () => (connected = true), disconnected: (err) => failures.push(err) },
  });
  t.teardown(() => client.close());
  return { sent: commands(await written), socket, failures, isConnected: () => connected };
}

t.test('no credentials: HELLO 3 with the client name only', async (t) => {
  const { sent } = await handshakeOf(t, {});
  t.same(sent, [['HELLO', '3', 'SETNAME', 'openai-proxy']]);
});

t.test('user, password and database, the password read when connecting', async (t) => {
  let reads = 0;
  const { sent, socket, isConnected } = await handshakeOf(t, { url: 'redis://:url-password@fake/4', username: () => 'proxy', password: () => `pw-${++reads}` });
  t.same(sent, [
    ['HELLO', '3', 'AUTH', 'proxy', 'pw-1', 'SETNAME', 'openai-proxy'],
    ['SELECT', '4'],
  ]);
  socket.push(`${HELLO_REPLY}+OK\r\n`);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(isConnected(), true);
});

t.test("the URL's password, for Redis's default user", async (t) => {
  const { sent } = await handshakeOf(t, { url: 'redis://:url-password@fake' });
  t.same(sent, [['HELLO', '3', 'AUTH', 'default', 'url-password', 'SETNAME', 'openai-proxy']]);
});

t.test("a refused HELLO is an auth error with Redis's message and without the password", async (t) => {
  const { socket, failures } = await handshakeOf(t, { password: () => 'hunter2' });
  socket.push('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(failures.length, 1);
  t.match(failures[0], { kind: 'auth', message: 'WRONGPASS invalid username-password pair or user is disabled.' });
  t.notMatch(JSON.stringify({ m: failures[0]!.message, s: failures[0]!.stack }), /hunter2/);
});
