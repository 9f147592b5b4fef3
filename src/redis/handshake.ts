import { RedisError, withoutSecrets } from './errors';
import type { RespArg, RespValue } from './resp';
import type { RedisEndpoint } from './url';

/** Read at each connect, so a rotated password file is used at the next reconnect. */
export interface Credentials {
  /** An ACL user; default the URL's, else Redis's `default` user. */
  username?: () => string | undefined;
  /** Default the URL's; none: no AUTH (a Redis without a password, or a `nopass` user). */
  password?: () => string | undefined;
  /** Shown by CLIENT LIST (default `openai-proxy`). */
  clientName?: string;
}

/** Errors of the AUTH step that mean "these credentials are refused", as opposed to an unreachable server. */
const AUTH_REFUSED = new Set(['WRONGPASS', 'NOPERM', 'NOAUTH']);

/**
 * `HELLO 3 [AUTH user password] SETNAME name`, then `SELECT db` when the URL names a database other than 0,
 * both written at once. HELLO authenticates and switches to RESP3 in one round trip (Redis 6 and later); a
 * password without a user name authenticates Redis's `default` user, as AUTH <password> would.
 */
export async function handshake(send: (args: readonly RespArg[]) => Promise<RespValue>, endpoint: RedisEndpoint, credentials: Credentials): Promise<void> {
  const username = credentials.username?.() || endpoint.username;
  const password = credentials.password?.() ?? endpoint.password;
  const hello: RespArg[] = ['HELLO', 3];
  if (password !== undefined || username !== undefined) hello.push('AUTH', username ?? 'default', password ?? '');
  hello.push('SETNAME', credentials.clientName ?? 'openai-proxy');
  const greeted = send(hello);
  const selected = endpoint.db === 0 ? undefined : send(['SELECT', endpoint.db]);
  selected?.catch(() => {}); // a refused HELLO is the error reported; SELECT's NOAUTH after it says nothing more
  try {
    await greeted;
  } catch (err) {
    throw helloError(err, password);
  }
  try {
    await selected;
  } catch (err) {
    const message = err instanceof RedisError ? err.message : String(err);
    throw new RedisError('connect', `Redis refused SELECT ${endpoint.db}: ${message}`, { cause: err });
  }
}

function helloError(err: unknown, password: string | undefined): RedisError {
  if (!(err instanceof RedisError) || err.kind !== 'reply') return err instanceof RedisError ? err : new RedisError('connect', String(err), { cause: err });
  const message = withoutSecrets(err.message, [password]);
  if (AUTH_REFUSED.has(err.code ?? '')) return new RedisError('auth', message);
  if (/unknown command/i.test(message)) return new RedisError('connect', `Redis does not know HELLO (Redis 6.2 or later is needed): ${message}`);
  return new RedisError('connect', `Redis refused HELLO: ${message}`);
}
