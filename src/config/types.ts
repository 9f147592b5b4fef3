import type { AuthHeader } from '../http/headers';
import type { LogLevel } from '../observability/log';

/**
 * The shape of a parsed configuration, in one leaf module: every parser and every reader of the config imports
 * its types from here, so no two config modules import each other for a type.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface Problem {
  /** The env var (`PORT`) or config file path (`clients[1].key`) the problem is about. */
  setting: string;
  message: string;
}

/**
 * A secret is given as exactly one of these; `sha256` only for client keys (the proxy never needs it back),
 * `workloadIdentity` only for upstream keys (obtained from the Pod's identity, see workload-identity.ts).
 */
export type SecretRef =
  | { kind: 'value'; value: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'sha256'; digest: string }
  | { kind: 'workloadIdentity'; identity: WorkloadIdentity };

/** A client's limits: per-minute token buckets, UTC day and month windows, open streams. */
export type LimitName = 'requestsPerMinute' | 'tokensPerMinute' | 'tokensPerDay' | 'tokensPerMonth' | 'usdPerDay' | 'usdPerMonth' | 'concurrentStreams';
export type ClientLimits = Partial<Record<LimitName, number>>;

/** USD per 1M tokens. */
export interface Price {
  input: number;
  /** Cached input tokens (default: `input`). */
  cachedInput: number;
  output: number;
}
export type Prices = Readonly<Record<string, Price>>;

export interface RedisStoreConfig {
  url: SecretRef;
  /** Where the URL came from: `limits.store.redis.url` or `LIMITS_REDIS_URL`. */
  urlSetting: string;
  /** For logs: the URL with its password hidden, or where it is read from. */
  display: string;
  username?: SecretRef;
  password?: SecretRef;
  caFile?: string;
  keyPrefix: string;
  /** One command's deadline. */
  timeoutMs: number;
}

export interface LimitsConfig {
  /** Absent: each replica counts alone, in memory. */
  redis?: RedisStoreConfig;
  onStoreError: 'local' | 'deny';
  prices: Prices;
  /** Config file settings an environment variable replaced (for Origins.overridden). */
  overridden: Readonly<Record<string, string>>;
}

export interface ClientConfig {
  name: string;
  /** Where the setting came from, for error messages: `clients[2]` or `PROXY_X_API_KEY`. */
  setting: string;
  /** Absent for a client known only by its ServiceAccounts. */
  key?: SecretRef;
  /** `namespace/name` or `namespace/*`: callers whose ServiceAccount token names one of these are this client. */
  serviceAccounts?: readonly string[];
  upstreamKey?: SecretRef;
  /** The client's own key for each fallback upstream, by upstream name (a client with its own upstreamKey). */
  fallbackKeys?: Readonly<Record<string, SecretRef>>;
  headers: Readonly<Record<string, string>>;
  limits?: ClientLimits;
  /** The models the client may name; any other gets 403 model_not_allowed. */
  allowedModels?: readonly string[];
}

/**
 * `inject`: streamed chat and completions requests that did not ask for usage go upstream asking for it, and the
 * client gets the stream it would have got without; `passthrough`: requests and streams as they are.
 */
export type StreamUsage = 'inject' | 'passthrough';

export interface UpstreamConfig {
  /** Its label in metrics and logs: `upstream.name` (default `primary`), or a fallback's name. */
  name: string;
  /** Where its settings are, for messages: `upstream` or `upstream.fallbacks[0]`. */
  setting: string;
  protocol: 'https:' | 'http:';
  hostname: string;
  port: number;
  /** Host header value. */
  host: string;
  /** Path prefix the allowlisted path is appended to ('' for api.openai.com). */
  basePath: string;
  /** For logs: origin and prefix, never credentials (refused at parse time). */
  display: string;
  apiKey?: SecretRef;
  apiKeySetting: string;
  /** The header the upstream key goes in. */
  authHeader: AuthHeader;
  /** Billing headers (`openai-organization`, `openai-project`, lower-case) a client's own may set; others are dropped. */
  passClientHeaders: readonly string[];
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** `usage.streamUsage` as it applies to this upstream (`auto` already decided by its host). */
  streamUsage: StreamUsage;
}

export interface Config {
  host: string;
  port: number;
  adminHost: string;
  adminPort: number;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  auth: 'key' | 'none';
  maxBodyBytes: number;
  upstream: UpstreamConfig;
  /** Tried in order after `upstream`, on a failure it names in `fallbackOn`. */
  fallbacks: readonly UpstreamConfig[];
  fallbackOn: FallbackOn;
  /** Bodies up to this size are kept to be sent again to a fallback; larger ones get no fallback. */
  fallbackBodyLimitBytes: number;
  clients: readonly ClientConfig[];
  /** Where the clients' limits are counted (one replica's memory, or Redis for all), and prices. */
  limits: LimitsConfig;
  /** Set when ServiceAccount tokens are accepted (some client lists `serviceAccounts`). */
  kubernetes?: KubernetesConfig;
  models: readonly string[];
  endpoints: readonly string[];
  /** Where things came from, for the `listening` line: a user can see when `.env` replaced the config file. */
  origins: Origins;
}

/** What moves a request on to the next upstream: these statuses (at the response head), and connect failures. */
export interface FallbackOn {
  statuses: ReadonlySet<number>;
  connect: boolean;
}

export interface Origins {
  /** `PROXY_CONFIG`'s path, if any. */
  configFile?: string;
  /** `OPENAI_BASE_URL`, `upstream.baseUrl`, or `default`. */
  upstream: string;
  /** Config file settings an environment variable replaced: `{ "upstream.baseUrl": "OPENAI_BASE_URL" }`. */
  overridden: Readonly<Record<string, string>>;
}

export interface OpenAIIdentity {
  provider: 'openai';
  tokenFile: string;
  identityProviderId: string;
  serviceAccountId: string;
  tokenUrl: string;
}

export interface AzureIdentity {
  provider: 'azure';
  tokenFile: string;
  tenantId: string;
  clientId: string;
  scope: string;
  /** Without a trailing `/`, whatever AKS set. */
  authorityHost: string;
}

export type WorkloadIdentity = (OpenAIIdentity | AzureIdentity) & {
  /** The setting that named the token file, for start-up problems. */
  tokenFileSetting: string;
};

/** Where the issuer's signing keys come from: the API server (or any HTTPS URL), or a file. */
export type JwksSource = { kind: 'url'; url: string; bearerTokenFile?: string; caFile?: string } | { kind: 'file'; path: string };

export interface KubernetesConfig {
  /** Must equal a token's `iss`. */
  issuer: string;
  /** A token's `aud` must equal or hold it. */
  audience: string;
  jwks: JwksSource;
  /** Tokens whose `exp - iat` is longer are refused (a token without `iat`: its `exp - now`). */
  maxTokenLifetimeSeconds: number;
}
