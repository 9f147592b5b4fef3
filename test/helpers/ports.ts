/**
 * Stable exports:
 *   closedPort()   -> a loopback port nothing listens on (bound once on port 0, then closed): connecting to it is refused
 */
import { createServer, type AddressInfo } from 'node:net';

export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
