import type { Server } from 'node:net';

/** Resolves once `server` is bound; rejects with the bind error (port taken, bad address) instead of throwing later. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
