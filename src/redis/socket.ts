import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { RedisError, describeCause } from './errors';
import type { RedisEndpoint } from './url';

/** Opens the byte stream to Redis; the client's tests give a fake one. Resolves once it can carry commands. */
export type OpenSocket = (endpoint: RedisEndpoint, connectTimeoutMs: number) => Promise<Duplex>;

/**
 * TCP, or TLS with verification always on: the CA file when given (read at each connect, so a rotated CA is
 * used at the next one), else Node's CAs (plus NODE_EXTRA_CA_CERTS). SNI is the host, unless it is an IP address
 * (RFC 6066 forbids that; the certificate is then checked against the IP).
 */
export function socketOpener(caFile: string | undefined): OpenSocket {
  return async (endpoint, connectTimeoutMs) => {
    let ca: Buffer | undefined;
    if (endpoint.tls && caFile) {
      try {
        ca = await readFile(caFile);
      } catch (err) {
        throw new RedisError('connect', `cannot read the Redis CA file ${caFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, { cause: err });
      }
    }
    const socket = endpoint.tls
      ? tls.connect({ host: endpoint.host, port: endpoint.port, servername: net.isIP(endpoint.host) ? undefined : endpoint.host, ca })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    return await whenConnected(socket, endpoint.tls ? 'secureConnect' : 'connect', connectTimeoutMs);
  };
}

function whenConnected(socket: net.Socket, ready: 'connect' | 'secureConnect', timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const fail = (err: RedisError) => {
      clearTimeout(timer);
      socket.off(ready, succeed);
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error) => fail(new RedisError('connect', `cannot connect to Redis: ${describeCause(err)}`, { cause: err }));
    const succeed = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 10_000);
      resolve(socket);
    };
    const timer = setTimeout(() => fail(new RedisError('connect', `cannot connect to Redis: no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once(ready, succeed);
    socket.once('error', onError);
  });
}
