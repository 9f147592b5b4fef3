import type { Server } from 'node:net';

/** A listener that could not bind: `setting` names the settings to change, `message` says why. */
export class ListenError extends Error {
  constructor(
    readonly setting: string,
    readonly address: string,
    readonly code: string | undefined,
    cause: Error,
  ) {
    super(`cannot listen on ${address}: ${LISTEN_ERRORS[code ?? ''] ?? cause.message}${code ? ` (${code})` : ''}`, { cause });
  }
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: "the address is not one of this machine's",
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS not answering)',
};

/**
 * Resolves once `server` is bound; rejects with a ListenError naming `setting` (port taken, bad address)
 * instead of throwing later.
 */
export function listen(server: Server, port: number, host: string, setting: string, backlog?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(setting, `${host}:${port}`, err.code, err));
    server.once('error', onError);
    server.listen({ port, host, backlog }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
