import { createHash, hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientConfig, ClientLimits, Config, Env, Problem, SecretRef } from '../config/types';
import type { Credential } from '../credentials/credential';
import { CredentialSet } from '../credentials/credential-set';
import { looksLikeJws } from '../jwt/jws';
import { credentialSecret, withheldHeaders, type UpstreamSigning } from '../http/headers';
import { chainOf, type Target } from './chains';
import { DEFAULT_CLIENT } from '../config/clients';
import { describeRef, resolveKeys, type FileContents } from './secrets';
import { clientKeyProblem, upstreamKeyProblem } from './weak-keys';

/** An authenticated caller: its metric/log name and how its upstream requests are signed. */
export interface Client {
  readonly name: string;
  /** The upstreams its requests try, in order; the first is the primary. */
  readonly chain: readonly Target[];
  /** The primary's signing (`chain[0].signing`). */
  readonly upstream: UpstreamSigning;
  readonly limits?: ClientLimits;
  /** The models it may name; undefined: any. */
  readonly allowedModels?: ReadonlySet<string>;
  /** First 8 hex of the primary's upstream key's SHA-256, for logs. */
  readonly upstreamKeyFingerprint: string;
  /** Keyless primary: requests are signed with this credential's current token instead of `upstream.credential`'s key. */
  readonly credential?: Credential;
}

/**
 * Client keys are looked up by their SHA-256 digest: the presented key is hashed, then the digest is the map
 * key. Nothing about a stored key leaks through timing, because the attacker controls only the input to the
 * hash, never the digest being compared (and `sha256:` clients never give the proxy their key at all).
 */
export interface KeyTable {
  readonly byDigest: ReadonlyMap<string, Client>;
  /** Clients by `namespace/name` and `namespace/*`, for callers that prove a ServiceAccount (see clientOf). */
  readonly byServiceAccount: ReadonlyMap<string, Client>;
  /** Set when PROXY_AUTH=none: every caller is this client. */
  readonly anonymous?: Client;
}

export function digestOf(key: string): string {
  return sha256Hex(key);
}

/**
 * `crypto.hash` (Node 20.12 and later) digests in one call without building a Hash object; every request's key
 * (or ServiceAccount token) is hashed, so the older Nodes the engines field allows get createHash instead.
 */
const sha256Hex: (text: string) => string =
  typeof hash === 'function' ? (text) => hash('sha256', text, 'hex') : (text) => createHash('sha256').update(text).digest('hex');

/** `X-API-Key`, else `Authorization: Bearer <key>` (so an SDK's api_key can be the proxy key). */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const authorization = headers.authorization;
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const key = authorization.slice(7).trim();
  return key === '' ? undefined : key;
}

/** The client a verified ServiceAccount is: named exactly, else by its namespace's `*`. */
export function clientOf(table: KeyTable, namespace: string, id: string): Client | undefined {
  return table.byServiceAccount.get(id) ?? table.byServiceAccount.get(`${namespace}/*`);
}

const upstreamKeysOf = new WeakMap<KeyTable, readonly string[]>();

function upstreamKeys(table: KeyTable): readonly string[] {
  let keys = upstreamKeysOf.get(table);
  if (!keys) {
    const clients = table.anonymous ? [table.anonymous] : [...table.byDigest.values()];
    keys = [...new Set(clients.flatMap((c) => c.chain.map((target) => credentialSecret(target.signing.credential))).filter(Boolean))];
    upstreamKeysOf.set(table, keys);
  }
  return keys;
}

/** Whether `text` is one of the client or upstream keys in the table (for what may become a metric label). */
export function isKnownKey(table: KeyTable, text: string): boolean {
  return table.byDigest.has(digestOf(text)) || upstreamKeys(table).includes(text);
}

/**
 * A request path as it may be logged. Clients do paste keys into URLs by mistake, and the path is the one piece
 * of client text the access log keeps: a segment that is a client key, and any upstream key, become their
 * fingerprint, and so does anything shaped like a ServiceAccount token (a JWS). Segments in `plainSegments` are
 * taken as they are, unhashed.
 */
export function redactKeys(table: KeyTable, path: string, plainSegments: ReadonlySet<string>): string {
  let out = path;
  for (const key of upstreamKeys(table)) if (out.includes(key)) out = out.split(key).join(`<key ${digestOf(key).slice(0, 8)}>`);
  return out
    .split('/')
    .map((segment) => {
      if (segment === '' || plainSegments.has(segment)) return segment;
      const digest = digestOf(segment);
      if (looksLikeJws(segment)) return `<token ${digest.slice(0, 8)}>`;
      return table.byDigest.has(digest) ? `<key ${digest.slice(0, 8)}>` : segment;
    })
    .join('/');
}

/** Builds the table from the config and the secret files as last read; every problem is named. */
export function buildKeyTable(config: Config, env: Env, files: FileContents, credentials = CredentialSet.none): { table?: KeyTable; problems: Problem[] } {
  const problems: Problem[] = [];
  // Read once per setting: every client without a key of its own shares the default keys.
  const read = new Map<string, string | undefined>();
  const upstreamKeyOf = (ref: SecretRef | undefined, setting: string): string | undefined => {
    if (!ref || ref.kind === 'workloadIdentity') return undefined;
    if (read.has(setting)) return read.get(setting);
    const [key] = resolveKeys(ref, env, files);
    const problem = key ? upstreamKeyProblem(key) : `${describeRef(ref)} holds no key`;
    if (problem) problems.push({ setting, message: problem });
    read.set(setting, key);
    return key;
  };
  const withheld = withheldHeaders(config.upstream.passClientHeaders);
  const fingerprint = (key: string) => digestOf(key).slice(0, 8);
  const makeClient = (name: string, c: ClientConfig | undefined): Client => {
    const chain = chainOf(config, c, upstreamKeyOf, credentials, fingerprint, { extra: c?.headers ?? {}, withheld });
    const [primary] = chain;
    const allowedModels = c?.allowedModels && new Set(c.allowedModels);
    return {
      name,
      limits: c?.limits,
      allowedModels,
      chain,
      upstream: primary!.signing,
      credential: primary!.credential,
      upstreamKeyFingerprint: primary!.keyFingerprint,
    };
  };

  if (config.auth === 'none') {
    return problems.length
      ? { problems }
      : {
          table: { byDigest: new Map(), byServiceAccount: new Map(), anonymous: makeClient(DEFAULT_CLIENT, undefined) },
          problems,
        };
  }
  const byDigest = new Map<string, Client>();
  const byServiceAccount = new Map<string, Client>();
  for (const c of config.clients) {
    const client = makeClient(c.name, c);
    for (const entry of c.serviceAccounts ?? []) byServiceAccount.set(entry, client);
    if (!c.key) continue;
    const keys = c.key.kind === 'sha256' ? [] : resolveKeys(c.key, env, files);
    const digests = c.key.kind === 'sha256' ? [c.key.digest] : keys.map(digestOf);
    if (digests.length === 0) problems.push({ setting: keySetting(c.setting), message: `${describeRef(c.key)} holds no key` });
    const weak = keys.map(clientKeyProblem).find(Boolean);
    if (weak) problems.push({ setting: keySetting(c.setting), message: weak });
    for (const digest of digests) {
      const other = byDigest.get(digest);
      if (other && other !== client) problems.push({ setting: keySetting(c.setting), message: `the same key is also client "${other.name}"'s` });
      byDigest.set(digest, client);
    }
  }
  return problems.length ? { problems } : { table: { byDigest, byServiceAccount }, problems };
}

/** `clients[2]` -> `clients[2].key`; an env-defined client's setting is already the variable name. */
function keySetting(setting: string): string {
  return setting.startsWith('clients[') ? `${setting}.key` : setting;
}
