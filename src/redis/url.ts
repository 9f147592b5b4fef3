/** Where the client connects: `redis://[[username][:password]@][host][:port][/db]`, or `rediss://` for TLS. */
export interface RedisEndpoint {
  tls: boolean;
  /** Without IPv6 brackets, ready for net.connect. */
  host: string;
  port: number;
  /** Given by the path; 0 (Redis's own default, no SELECT sent) when the path names none. */
  db: number;
  username?: string;
  password?: string;
}

const DEFAULT_PORT = 6379;
const DEFAULT_HOST = 'localhost';
const MAX_DB = 1_000_000;

/** The endpoint a URL names, or a problem that never repeats the URL (it may hold a password). */
export function parseRedisUrl(text: string): { endpoint: RedisEndpoint } | { problem: string } {
  const scheme = /^(rediss?):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (!scheme) return { problem: 'must start with redis:// or rediss://' };
  let url: URL;
  try {
    // WHATWG URLs refuse an empty host before a port (`redis://:6380`); Redis's own tools accept it.
    url = new URL(/^rediss?:\/\/:\d+(?:[/?#]|$)/i.test(text) ? text.replace('://', `://${DEFAULT_HOST}`) : text);
  } catch {
    return { problem: 'is not a valid URL' };
  }
  if (url.search || url.hash) return { problem: 'must not have a query or fragment (the database goes in the path: /0)' };
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { problem: 'has a port out of range' };
  const path = url.pathname === '/' ? '' : url.pathname.slice(1);
  if (path !== '' && !/^\d{1,7}$/.test(path)) return { problem: 'must have a database number as its path (/0), or none' };
  const db = path === '' ? 0 : Number(path);
  if (db > MAX_DB) return { problem: 'has a database number out of range' };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || DEFAULT_HOST;
  let username: string | undefined;
  let password: string | undefined;
  if (url.username && !url.password) return { problem: 'has user info without a colon: write user:password@ (or :password@)' };
  try {
    username = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return { problem: 'has a user name or password that is not valid percent-encoding' };
  }
  return { endpoint: { tls: scheme === 'rediss', host, port, db, username, password } };
}

/**
 * For messages and logs: the URL with its password replaced by `***`. The last `@` ends the user info, so a
 * password holding an unencoded `/`, `?` or `@` is hidden whole; user info without a colon is hidden too
 * (redis-cli would read it as a password).
 */
export function redactRedisUrl(text: string): string {
  const start = text.indexOf('://') + 3;
  const at = text.lastIndexOf('@');
  if (start < 3 || at < start) return text;
  const colon = text.indexOf(':', start);
  if (colon < 0 || colon > at) return `${text.slice(0, start)}***${text.slice(at)}`;
  return `${text.slice(0, colon)}:***${text.slice(at)}`;
}

/** `endpoint` as `rediss://host:port/db` (never credentials), for logs. */
export function describeEndpoint(endpoint: RedisEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.tls ? 'rediss' : 'redis'}://${host}:${endpoint.port}/${endpoint.db}`;
}
