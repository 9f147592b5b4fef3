/**
 * Every failure of the Redis client is a RedisError with a stable `kind`:
 *   timeout     the command's deadline passed (it may still run in Redis later)
 *   closed      the connection closed before the reply came (it may or may not have run), or the client was closed
 *   queue_full  too many commands waiting or in flight; refused at once, never sent
 *   auth        Redis refused HELLO/AUTH (WRONGPASS, NOPERM, NOAUTH); the message is Redis's own
 *   reply       Redis answered the command with an error (the message is Redis's own)
 *   connect     no connection: refused, unreachable, TLS failure, a bad URL, SELECT refused
 *   protocol    the server sent bytes that are not RESP
 */
export type RedisErrorKind = 'timeout' | 'closed' | 'queue_full' | 'auth' | 'reply' | 'connect' | 'protocol';

export class RedisError extends Error {
  constructor(
    readonly kind: RedisErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RedisError';
  }

  /** The first word of a reply error (`NOSCRIPT`, `WRONGPASS`, `ERR`), or undefined for other kinds. */
  get code(): string | undefined {
    if (this.kind !== 'reply' && this.kind !== 'auth') return undefined;
    const space = this.message.indexOf(' ');
    return space < 0 ? this.message : this.message.slice(0, space);
  }
}

/** Cuts a secret out of text that came from elsewhere (Redis echoes nothing secret today; this keeps it so). */
export function withoutSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('<redacted>');
  return out;
}

/** A Node error's code and message for a cause-carrying RedisError: `connect ECONNREFUSED 127.0.0.1:6379`. */
export function describeCause(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/** Why a connection closed: the socket's own RedisError, else `closed` with Node's cause. */
export function closedError(failure: Error | undefined, midReply: boolean): RedisError {
  if (failure instanceof RedisError) return failure;
  const message = failure ? describeCause(failure) : midReply ? 'Redis closed the connection mid-reply' : 'Redis closed the connection';
  return new RedisError('closed', message, { cause: failure });
}

/** A failed connect attempt as a `connect` error: the innermost one when a RedisError wraps it. */
export function asConnectError(err: unknown): RedisError {
  if (err instanceof RedisError && err.kind === 'connect') return err;
  if (err instanceof RedisError && err.cause instanceof RedisError) return asConnectError(err.cause);
  return new RedisError('connect', err instanceof RedisError ? err.message : `cannot connect to Redis: ${describeCause(err)}`, { cause: err });
}
