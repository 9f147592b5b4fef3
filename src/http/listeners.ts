import type { Server as HttpServer } from 'node:http';
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

/** One listener to bind: the server, where, and the settings that choose where (named when it cannot bind). */
export interface Listener {
  server: Server;
  port: number;
  host: string;
  setting: string;
  backlog?: number;
}

/**
 * Binds the listeners in order. If one cannot bind, the ones already bound are closed, `abandon` releases what
 * the caller started beside them, and the ListenError is thrown: nothing may run half-started.
 */
export async function listenAll(listeners: readonly Listener[], abandon: () => void): Promise<void> {
  try {
    for (const l of listeners) await listen(l.server, l.port, l.host, l.setting, l.backlog);
  } catch (err) {
    for (const l of listeners) l.server.close();
    abandon();
    throw err;
  }
}

/** How often a drain looks at what is still open. */
const DRAIN_POLL_MS = 50;

/**
 * Stops accepting, waits until `open()` is 0 or `graceMs` has passed, then closes every connection still open;
 * resolves to how many requests were still open then (cut).
 */
export async function drain(server: HttpServer, open: () => number, graceMs: number): Promise<number> {
  server.close();
  const deadline = Date.now() + graceMs;
  while (open() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, Math.min(DRAIN_POLL_MS, deadline - Date.now())));
  const cut = open();
  server.closeAllConnections();
  return cut;
}
