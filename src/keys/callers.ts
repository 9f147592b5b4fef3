import type { IncomingHttpHeaders } from 'node:http';
import type { TokenRejection } from '../service-accounts/claims';
import { looksLikeJws } from '../jwt/jws';
import type { ServiceAccountTokens, TokenVerdict } from '../service-accounts/service-account-tokens';
import { clientOf, digestOf, presentedKey, type Client, type KeyTable } from './key-table';

/**
 * Who is calling: the client whose key the request carries, else the client whose ServiceAccount the
 * request's token proves. A refusal may say why (for the log, never the caller) and, for a valid token of a
 * ServiceAccount no client lists, which one.
 */
export type Authentication =
  | { client: Client; serviceAccount?: string }
  | { client?: undefined; reason?: TokenRejection | 'service_account_not_allowed'; serviceAccount?: string; unavailable?: true };

const NOBODY: Authentication = {};
const UNAVAILABLE: Authentication = { unavailable: true };

/**
 * Keys first, by digest; the same digest is then the token cache's key, so a cached token costs one more map
 * lookup. Only a token whose signing key must be fetched first answers with a promise.
 */
export function identifyCaller(
  table: KeyTable,
  tokens: ServiceAccountTokens | undefined,
  headers: IncomingHttpHeaders,
): Authentication | Promise<Authentication> {
  if (table.anonymous) return { client: table.anonymous };
  const credential = presentedKey(headers);
  if (credential === undefined) return NOBODY;
  const digest = digestOf(credential);
  const client = table.byDigest.get(digest);
  if (client) return { client };
  if (!tokens || !looksLikeJws(credential)) return NOBODY;
  const verdict = tokens.verify(credential, digest);
  return verdict instanceof Promise ? verdict.then((v) => judge(table, v)) : judge(table, verdict);
}

function judge(table: KeyTable, verdict: TokenVerdict): Authentication {
  if ('unavailable' in verdict) return UNAVAILABLE;
  if ('rejected' in verdict) return { reason: verdict.rejected };
  const { namespace, id } = verdict.identity;
  const client = clientOf(table, namespace, id);
  return client ? { client, serviceAccount: id } : { reason: 'service_account_not_allowed', serviceAccount: id };
}
