/**
 * An error the proxy answers itself. Every one has a stable `code` (also the JSON `code` and the log's `error`),
 * the HTTP status it maps to, and the underlying `cause` when there is one.
 */
export class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'ProxyError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** Sent as `retry-after` (429s). */
  readonly retryAfterSeconds: number | undefined;
}

export const notAllowed = () => new ProxyError(404, 'endpoint_not_allowed', 'This path is not an allowed endpoint of this proxy.');
export const methodNotAllowed = (method: string) => new ProxyError(405, 'method_not_allowed', `The ${method} method is not supported by this proxy.`);
export const expectationFailed = () => new ProxyError(417, 'expectation_failed', 'The only expectation this proxy supports is Expect: 100-continue.');
export const upgradeRefused = () =>
  new ProxyError(400, 'upgrade_not_supported', 'The only protocol upgrade this proxy serves is a WebSocket GET on the Realtime and Responses endpoints.');
export const shuttingDown = () => new ProxyError(503, 'shutting_down', 'This proxy replica is shutting down; connect again.', { retryAfterSeconds: 1 });
export const bodyTooLarge = (limit: number) => new ProxyError(413, 'body_too_large', `The request body is larger than this proxy accepts (${limit} bytes).`);
export const headersTooLarge = () => new ProxyError(431, 'headers_too_large', 'The request headers are larger than this proxy accepts.');
export const rateLimited = (limit: string, retryAfterSeconds: number) =>
  new ProxyError(
    429,
    'rate_limit_exceeded',
    `This client's ${LIMIT_TEXT[limit] ?? limit} limit on this proxy replica is reached; retry after ${retryAfterSeconds} s.`,
    { retryAfterSeconds },
  );
const LIMIT_TEXT: Record<string, string> = { requests: 'requests-per-minute', tokens: 'tokens-per-minute', streams: 'concurrent-streams' };
export const serviceAccountKeysUnavailable = () =>
  new ProxyError(
    503,
    'service_account_keys_unavailable',
    'The proxy has not loaded the keys that verify Kubernetes ServiceAccount tokens yet; retry shortly.',
    { retryAfterSeconds: 5 },
  );
export const versionNotSupported = () => new ProxyError(505, 'http_version_not_supported', 'This proxy speaks HTTP/1.0 and HTTP/1.1.');
export const methodNotImplemented = () => new ProxyError(501, 'method_not_implemented', 'The request method is not one this proxy implements.');
export const requestTimeout = () => new ProxyError(408, 'request_timeout', 'The client stopped sending the request body.');
