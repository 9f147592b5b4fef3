import type { ClientConfig, Config, SecretRef, UpstreamConfig } from '../config/types';
import type { Credential } from '../credentials/credential';
import type { CredentialSet } from '../credentials/credential-set';
import { upstreamCredential, type UpstreamSigning } from '../http/headers';

/** One upstream a client's requests may go to, and how they are signed there. */
export interface Target {
  /** The upstream's name (`upstream.name`, or a fallback's). */
  readonly upstream: string;
  readonly signing: UpstreamSigning;
  /** Keyless: requests are signed with this credential's current token instead of `signing.credential`'s key. */
  readonly credential?: Credential;
  /** First 8 hex of the static key's SHA-256, for logs ('' when keyless). */
  readonly keyFingerprint: string;
}

/** Reads a static upstream key (problems are recorded by the caller's reader); undefined for workload identity. */
export type KeyReader = (ref: SecretRef | undefined, setting: string) => string | undefined;

/**
 * The upstreams a client's requests try, in order: the primary, then each fallback. A client with its own
 * upstream key reaches a fallback only with its own key for it (`fallbackKeys`), else that fallback is left
 * out: one tenant's traffic is never billed to another's key. `client` is undefined for the anonymous caller
 * of PROXY_AUTH=none, who uses the default keys.
 */
export function chainOf(
  config: Config,
  client: ClientConfig | undefined,
  readKey: KeyReader,
  credentials: CredentialSet,
  fingerprint: (key: string) => string,
  base: Pick<UpstreamSigning, 'extra' | 'withheld'>,
): Target[] {
  const target = (upstream: UpstreamConfig, key: string | undefined, credential: Credential | undefined): Target => ({
    upstream: upstream.name,
    credential,
    keyFingerprint: key ? fingerprint(key) : '',
    signing: { ...base, host: upstream.host, credential: upstreamCredential(upstream.authHeader, key ?? '') },
  });
  const own = client?.upstreamKey;
  const primary = own
    ? target(config.upstream, readKey(own, `${client.setting}.upstreamKey`), credentials.forClient(client.name))
    : target(config.upstream, readKey(config.upstream.apiKey, config.upstream.apiKeySetting), credentials.forUpstream());
  const chain = [primary];
  for (const fallback of config.fallbacks) {
    if (!own) {
      chain.push(target(fallback, readKey(fallback.apiKey, fallback.apiKeySetting), credentials.forUpstream(fallback.name)));
      continue;
    }
    const ref = client.fallbackKeys?.[fallback.name];
    if (ref) chain.push(target(fallback, readKey(ref, `${client.setting}.fallbackKeys.${fallback.name}`), credentials.forClient(client.name, fallback.name)));
  }
  return chain;
}
