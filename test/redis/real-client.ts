/**
 * A RedisClient for tests against a real redis-server.
 *
 * Stable exports:
 *   openClient(t, options) -> { client, events, connected(), nextEvent(kind) }; teardown closes the client
 *     events           'connected' or `disconnected:<kind>:<message>` in order, as the hooks reported them
 *     connected()      resolves once the client is connected (at once if it is)
 *     nextEvent(kind)  resolves with the next event starting with kind ('connected' / 'disconnected')
 */
import { RedisClient, type RedisClientOptions } from '../../src/redis/client';

export function openClient(t: { teardown(fn: () => unknown): void }, options: RedisClientOptions) {
  const events: string[] = [];
  const waiters: { kind: string; resolve(event: string): void }[] = [];
  const record = (event: string) => {
    events.push(event);
    for (const waiter of waiters.splice(0)) {
      if (event.startsWith(waiter.kind)) waiter.resolve(event);
      else waiters.push(waiter);
    }
  };
  const client = new RedisClient({
    ...options,
    hooks: { connected: () => record('connected'), disconnected: (err) => record(`disconnected:${err.kind}:${err.message}`) },
  });
  t.teardown(() => client.close());
  const nextEvent = (kind: string) => new Promise<string>((resolve) => waiters.push({ kind, resolve }));
  const connected = () => (client.connected ? Promise.resolve() : nextEvent('connected').then(() => undefined));
  return { client, events, connected, nextEvent };
}
