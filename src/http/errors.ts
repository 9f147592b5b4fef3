/**
 * An error the proxy answers itself. Every one has a stable `code` (also the JSON `code` and the log's `error`),
 * the HTTP status it maps to, and the underlying `cause` when there is one.
 */
export class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number; retry?: false },
  ) {
    super(message, options);
    this.name = 'ProxyError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.retry = options?.retry;
  }

  /** Sent as `retry-after` (429s). */
  readonly retryAfterSeconds: number | undefined;
  /** `false` is sent as `x-should-retry: false`: the OpenAI SDKs then do not retry in vain (a spent budget). */
  readonly retry: false | undefined;
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
  new ProxyError(429, 'rate_limit_exceeded', `This client's ${limit} limit is reached; retry after ${retryAfterSeconds} s.`, { retryAfterSeconds });
export const budgetExceeded = (limit: string, retryAfterSeconds: number) =>
  new ProxyError(429, 'budget_exceeded', `This client's ${limit} budget is used up until it resets in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
    retry: false,
  });
export const limitsUnavailable = () =>
  new ProxyError(503, 'limits_unavailable', "The proxy cannot reach the store of this client's limits right now; retry shortly.", { retryAfterSeconds: 1 });
export const modelNotAllowed = () => new ProxyError(403, 'model_not_allowed', 'This client may not use the model the request names.');
export const modelUnreadable = () =>
  new ProxyError(
    403,
    'model_not_allowed',
    "The request's model could not be read before forwarding (a client with allowed models names it early in the body).",
  );
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
