import { UpstreamError } from '../http/upstream-errors';

/** What the token endpoint said about a refused exchange, cleaned for a log line. */
export interface ExchangeDetails {
  /** HTTP status of the token endpoint's answer. */
  status?: number;
  /** OAuth's `error` code (`invalid_grant`, `invalid_client`, ...). */
  oauthError?: string;
  /** OAuth's `error_description` (Entra's `AADSTS...` text), cut short, with anything token-like removed. */
  description?: string;
}

/**
 * A failed token exchange. `reason` is a short, bounded word for logs (`token_file`, `unreachable`, `tls`,
 * `reset`, `connect_timeout`, `timeout`, `refused`, `server_error`, `malformed`); the message never holds a token.
 */
export class ExchangeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly details: ExchangeDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExchangeError';
  }
}

/** A keyless client's request while its credential could not be obtained: nothing is sent upstream. */
export const credentialUnavailable = () =>
  new UpstreamError(
    503,
    'upstream_credential_unavailable',
    'credential_unavailable',
    'The proxy has no valid upstream credential right now: exchanging its workload identity token failed. Retry later.',
  );

const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?/g;
const MAX_DESCRIPTION = 300;

/**
 * Token endpoints explain refusals in text worth logging (`AADSTS700213: No matching federated identity record
 * found...`), but that text is theirs: the secrets given are cut out, and so is anything shaped like a JWT.
 */
export function cleanDescription(text: unknown, secrets: readonly string[]): string | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('<redacted>');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes, so a description cannot forge log lines.
  out = out.replace(JWT_LIKE, '<redacted>').replace(/[\x00-\x1f\x7f]+/g, ' ');
  return out.length > MAX_DESCRIPTION ? `${out.slice(0, MAX_DESCRIPTION)}...` : out;
}
