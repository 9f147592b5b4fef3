import type { WorkloadIdentity } from '../config/types';
import { ExchangeError, cleanDescription } from './errors';

/** The two token exchanges as pure functions: the request each provider wants, and what its answer means. */

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** OAuth leaves `expires_in` optional; OpenAI's SDK assumes an hour when it is absent, and so does the proxy. */
export const DEFAULT_EXPIRES_IN_SECONDS = 3600;
/** Entra tokens with many claims run to a few KiB; anything this large is not an access token. */
const MAX_ACCESS_TOKEN_LENGTH = 16 * 1024;
/** The token goes into an HTTP header: visible ASCII only, no spaces. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

export interface TokenRequest {
  url: string;
  contentType: string;
  body: string;
}

export interface Issued {
  accessToken: string;
  expiresInSeconds: number;
}

export function tokenUrlOf(identity: WorkloadIdentity): string {
  return identity.provider === 'openai' ? identity.tokenUrl : `${identity.authorityHost}/${encodeURIComponent(identity.tenantId)}/oauth2/v2.0/token`;
}

/**
 * openai: RFC 8693 token exchange, JSON, as OpenAI's SDK sends it. azure: Entra's client-credentials grant with
 * the projected token as the client assertion, form-encoded, as AKS workload identity does it.
 */
export function tokenRequest(identity: WorkloadIdentity, subjectToken: string): TokenRequest {
  const url = tokenUrlOf(identity);
  if (identity.provider === 'openai') {
    const body = {
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token_type: JWT_TOKEN_TYPE,
      subject_token: subjectToken,
      identity_provider_id: identity.identityProviderId,
      service_account_id: identity.serviceAccountId,
    };
    return { url, contentType: 'application/json', body: JSON.stringify(body) };
  }
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: identity.clientId,
    scope: identity.scope,
    client_assertion_type: JWT_BEARER_ASSERTION,
    client_assertion: subjectToken,
  });
  return { url, contentType: 'application/x-www-form-urlencoded', body: form.toString() };
}

/** An answer is good only whole: a 2xx, JSON, a usable `access_token`, a positive `expires_in` if any. */
export function parseTokenAnswer(status: number, text: string, secrets: readonly string[]): Issued {
  const doc = parseJson(text);
  if (status < 200 || status > 299) throw refusal(status, doc, secrets);
  if (doc === undefined) throw malformed(status, 'the answer is not a JSON object');
  const token = doc.access_token;
  if (typeof token !== 'string' || token.trim() === '') throw malformed(status, 'the answer has no access_token');
  if (!HEADER_SAFE.test(token) || token.length > MAX_ACCESS_TOKEN_LENGTH) throw malformed(status, 'the access_token is not a usable bearer token');
  const expiresIn = expiresInOf(doc.expires_in);
  if (expiresIn === undefined) throw malformed(status, 'expires_in is not a positive number of seconds');
  return { accessToken: token, expiresInSeconds: expiresIn };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const doc: unknown = JSON.parse(text);
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Entra's v1 endpoints sent it as a string; both forms are accepted. */
function expiresInOf(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return DEFAULT_EXPIRES_IN_SECONDS;
  const seconds = typeof raw === 'string' && /^\d+(?:\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

const malformed = (status: number, why: string) => new ExchangeError('malformed', `The token endpoint's answer is unusable: ${why}.`, { status });

/** OAuth errors are `{error, error_description}`; some gateways answer OpenAI-style `{error: {code, message}}`. */
function refusal(status: number, doc: Record<string, unknown> | undefined, secrets: readonly string[]): ExchangeError {
  const error = doc?.error;
  const nested = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : undefined;
  const code = typeof error === 'string' ? error : (nested?.code ?? nested?.type);
  const oauthError = typeof code === 'string' && /^[\w.:-]{1,64}$/.test(code) ? code : undefined;
  const description = cleanDescription(doc?.error_description ?? nested?.message, secrets);
  const reason = status >= 400 && status < 500 ? 'refused' : 'server_error';
  return new ExchangeError(reason, `The token endpoint answered ${status}.`, { status, oauthError, description });
}
