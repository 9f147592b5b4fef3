/**
 * A fake Redis connection for protocol-corner tests: a Duplex the test writes replies into and whose writes
 * (the client's commands) it reads.
 *
 * Stable exports:
 *   fakeConnection(t, options?) -> Promise<FakeConnection>: a RedisClient on a fake socket, its HELLO answered
 *                                   (with a RESP3 map), connected; reconnects are refused
 *   FakeConnection              { client, socket, writes, nextWrite(), reply(bytes), connects, states }
 *     writes                    every chunk the client wrote, as text, in order (HELLO included)
 *     nextWrite()               resolves with the next chunk the client writes
 *     reply(bytes)              bytes from "Redis" (a string is sent as latin1, so a byte is a character)
 *     states                    'connected' / `disconnected:<kind>` as the client's hooks reported them
 *   commands(text)              the commands in a chunk of RESP the client wrote: string[][]
 */
import { Duplex } from 'node:stream';
import { RedisClient, type RedisClientOptions } from '../../src/redis/client';
import { RedisError } from '../../src/redis/errors';

export interface FakeConnection {
  client: RedisClient;
  socket: Duplex;
  writes: string[];
  nextWrite(): Promise<string>;
  reply(bytes: string | Buffer): void;
  states: string[];
}

export const HELLO_REPLY = '%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n$4\r\nrole\r\n$6\r\nmaster\r\n';

export async function fakeConnection(t: { teardown(fn: () => unknown): void }, options: Partial<RedisClientOptions> = {}): Promise<FakeConnection> {
  const writes: string[] = [];
  const waiters: ((text: string) => void)[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('latin1');
      writes.push(text);
      waiters.shift()?.(text);
      callback();
    },
    // As net.Socket does: what was written while corked goes out as one write.
    writev(chunks, callback) {
      this._write(Buffer.concat(chunks.map((c) => c.chunk as Buffer)), 'latin1', callback);
    },
  });
  const nextWrite = () => new Promise<string>((resolve) => waiters.push(resolve));
  const states: string[] = [];
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const hello = nextWrite();
  let opened = 0;
  const client = new RedisClient({
    url: 'redis://fake:6379',
    timeoutMs: 60_000,
    ...options,
    // One connection only: a reconnect finds nothing listening, as when Redis is gone.
    openSocket: async () => {
      if (opened++ > 0) throw new RedisError('connect', 'fake: connection refused');
      return socket;
    },
    hooks: {
      connected: () => {
        states.push('connected');
        connected();
      },
      disconnected: (err) => states.push(`disconnected:${err.kind}`),
    },
  });
  t.teardown(() => client.close());
  const reply = (bytes: string | Buffer) => void socket.push(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  if (!commands(await hello)[0]?.[0]?.startsWith('HELLO')) throw new Error('the client did not start with HELLO');
  reply(HELLO_REPLY);
  await ready;
  return { client, socket, writes, nextWrite, reply, states };
}

/** The commands in RESP the client wrote (arrays of bulk strings), as lists of their arguments. */
export function commands(text: string): string[][] {
  const out: string[][] = [];
  let pos = 0;
  const line = () => {
    const end = text.indexOf('\r\n', pos);
    const value = text.slice(pos, end);
    pos = end + 2;
    return value;
  };
  while (pos < text.length) {
    const count = Number(line().slice(1));
    const args: string[] = [];
    for (let i = 0; i < count; i++) {
      const length = Number(line().slice(1));
      args.push(text.slice(pos, pos + length));
      pos += length + 2;
    }
    out.push(args);
  }
  return out;
}
