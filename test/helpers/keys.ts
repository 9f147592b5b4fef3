/**
 * Key safety checks that every test holding keys gets without asking: startProxy collects the keys it hands the
 * proxy and, in its teardown, fails the test if one shows up where it must not (see proxy.ts).
 *
 * Stable exports:
 *   KeySet                          { upstream: string[]; client: string[]; upstreamHeader?; accessTokens? }
 *   keysHandedToProxy(env)          -> KeySet: values of variables whose name contains KEY or PASSWORD (a Redis
 *                                      password), the lines of the files named by their `_FILE` variables, and the `{ value | env | file }`
 *                                      references of the PROXY_CONFIG file (whatever the variable's name); `upstream` for OPENAI_API_KEY* and the
 *                                      config's `upstream.apiKey` / `clients[].upstreamKey`, `client` otherwise
 *                                      (`kubernetes.jwks.bearerTokenFile`, the proxy's own API token, included).
 *                                      Workload identity token files (OPENAI_IDENTITY_TOKEN_FILE,
 *                                      AZURE_FEDERATED_TOKEN_FILE, `workloadIdentity.tokenFile`) are `client`:
 *                                      the Pod's identity token goes to the token endpoint only, never upstream
 *                                      Values under MIN_KEY_LENGTH characters are left out: too short to tell
 *                                      apart from ordinary text
 *   leaksIn(places, keys)           -> string[]: one message per key found in a [where, text] place
 *   misplacedKeys(requests, keys)   -> string[]: an upstream key anywhere but the header it belongs in
 *                                      (`authorization: Bearer <key>`, or `api-key: <key>` when `keys.upstreamHeader`
 *                                      says so; `authorization: Bearer` always for `keys.accessTokens`) of a request
 *                                      the upstream received, or a client key anywhere in one
 *   bodyKeyScanner(keys)            { write(chunk), found(): fingerprints } for bodies too large to keep
 *   keyProblems(outputs, keys, env, upstream?) -> string[]: what startProxy's teardown checks. `keys` are those
 *                                      found at start (plus opts.secrets and any a test added); the env's key files
 *                                      are read again (teardowns run last-registered first, so a test's temp dir
 *                                      is still there), so keys rotated in during the test count too
 *   fingerprint(key)                first 8 hex of SHA-256: the only way messages ever name a key
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export const MIN_KEY_LENGTH = 8;

export interface KeySet {
  upstream: string[];
  client: string[];
  /** The header upstream keys belong in (OPENAI_AUTH_HEADER / upstream.authHeader); `authorization` if unset. */
  upstreamHeader?: string;
  /** Short-lived access tokens from a token exchange: upstream keys that belong in `authorization: Bearer`
   *  whatever `upstreamHeader` says, as the proxy sends them. */
  accessTokens?: string[];
}

/** What misplacedKeys needs from a recorded upstream request. */
export interface ReceivedRequest {
  url: string;
  rawHeaders: string[];
  body: Buffer;
  /** Fingerprints of watched keys found anywhere in the body, kept or not. */
  bodyKeyFingerprints?: string[];
}

type Role = 'upstream' | 'client';

export const fingerprint = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 8);

const linesOf = (text: string) => text.split(/\r?\n/).map((line) => line.trim());

function readLines(path: string): string[] {
  try {
    return linesOf(readFileSync(path, 'utf8'));
  } catch {
    return []; // the proxy will say so itself; nothing here to guard
  }
}

/** Secret references of the YAML config file, with the role of the key each one holds. */
function configRefs(path: string): Array<[unknown, Role]> {
  let doc: any;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
  const refs: Array<[unknown, Role]> = [[doc?.upstream?.apiKey, 'upstream']];
  for (const client of Array.isArray(doc?.clients) ? doc.clients : []) refs.push([client?.key, 'client'], [client?.upstreamKey, 'upstream']);
  // A workload identity's token file holds the Pod's identity token, which must never reach the upstream at all.
  for (const [ref] of [...refs]) {
    const tokenFile = (ref as any)?.workloadIdentity?.tokenFile;
    if (typeof tokenFile === 'string') refs.push([{ file: tokenFile }, 'client']);
  }
  // The proxy's own API token (for fetching the JWKS): it goes to the API server only, never upstream or into a log.
  const apiToken = doc?.kubernetes?.jwks?.bearerTokenFile;
  if (typeof apiToken === 'string') refs.push([{ file: apiToken }, 'client']);
  return refs;
}

/** Token files of the workload identity env form: their names hold no KEY, their content is a secret all the same. */
const IDENTITY_TOKEN_FILES = ['OPENAI_IDENTITY_TOKEN_FILE', 'AZURE_FEDERATED_TOKEN_FILE'];

export function keysHandedToProxy(env: Readonly<Record<string, string | undefined>>): KeySet {
  const found = { upstream: new Set<string>(), client: new Set<string>() };
  const add = (role: Role, values: string[]) => {
    for (const v of values) if (v.length >= MIN_KEY_LENGTH) found[role].add(v);
  };
  const envRoles = new Map<string, Role>();
  for (const [ref, role] of env.PROXY_CONFIG ? configRefs(env.PROXY_CONFIG) : []) {
    if (typeof ref !== 'object' || ref === null) continue;
    const { value, env: name, file } = ref as Record<string, unknown>;
    if (typeof value === 'string') add(role, [value.trim()]);
    if (typeof name === 'string') envRoles.set(name, role);
    if (typeof file === 'string') add(role, readLines(file));
  }
  for (const name of IDENTITY_TOKEN_FILES) if (env[name]) add('client', readLines(env[name]!));
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !(name.includes('KEY') || name.includes('PASSWORD') || envRoles.has(name))) continue;
    const role = envRoles.get(name) ?? (name.startsWith('OPENAI_API_KEY') ? 'upstream' : 'client');
    add(role, name.endsWith('_FILE') ? readLines(value) : [value.trim()]);
  }
  const upstreamHeader = env.OPENAI_AUTH_HEADER || configAuthHeader(env.PROXY_CONFIG);
  return { upstream: [...found.upstream], client: [...found.client], ...(upstreamHeader ? { upstreamHeader } : {}) };
}

export function leaksIn(places: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): string[] {
  const problems: string[] = [];
  for (const key of new Set(keys)) {
    const where = places.filter(([, text]) => text.includes(key)).map(([name]) => name);
    if (where.length) problems.push(`key ${fingerprint(key)} found in ${where.join(', ')}`);
  }
  return problems;
}

function isUpstreamCredential(header: string, value: string, key: string, upstreamHeader = 'authorization'): boolean {
  const name = header.toLowerCase();
  if (name !== upstreamHeader.toLowerCase()) return false;
  return name === 'authorization' ? value === `Bearer ${key}` : value === key;
}

/** The config file's `upstream.authHeader`, for the guard to know where upstream keys belong. */
function configAuthHeader(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    const header = parseYaml(readFileSync(path, 'utf8'))?.upstream?.authHeader;
    return typeof header === 'string' ? header : undefined;
  } catch {
    return undefined;
  }
}

export function misplacedKeys(requests: readonly ReceivedRequest[], keys: KeySet): string[] {
  const problems: string[] = [];
  const check = (key: string, role: Role, upstreamHeader = keys.upstreamHeader) => {
    const name = `${role} key ${fingerprint(key)}`;
    requests.forEach((rec, i) => {
      const where: string[] = [];
      if (rec.url.includes(key)) where.push('the URL');
      for (let h = 0; h < rec.rawHeaders.length; h += 2) {
        const [header, value] = [rec.rawHeaders[h]!, rec.rawHeaders[h + 1]!];
        const belongs = role === 'upstream' && isUpstreamCredential(header, value, key, upstreamHeader);
        if (header.includes(key) || (value.includes(key) && !belongs)) where.push(`header ${header}`);
      }
      if (rec.body.includes(key) || rec.bodyKeyFingerprints?.includes(fingerprint(key))) where.push('the body');
      if (where.length) problems.push(`${name} in ${where.join(', ')} of upstream request #${i} (${rec.url.slice(0, 60)})`);
    });
  };
  for (const key of new Set(keys.upstream)) check(key, 'upstream');
  for (const key of new Set(keys.accessTokens ?? [])) check(key, 'upstream', 'authorization');
  for (const key of new Set(keys.client)) if (!keys.upstream.includes(key)) check(key, 'client');
  return problems;
}

/** Places a proxy wrote to, by name (`stdout`, `stderr`, `/metrics`). */
export type Outputs = Record<string, string>;

export function keyProblems(
  outputs: Outputs,
  keys: KeySet,
  env: Readonly<Record<string, string | undefined>>,
  upstream?: { misplacedKeys(keys: KeySet): string[] },
): string[] {
  const now = keysHandedToProxy(env);
  for (const role of ['upstream', 'client'] as const) keys[role].push(...now[role].filter((key) => !keys[role].includes(key)));
  return [...leaksIn(Object.entries(outputs), [...keys.upstream, ...(keys.accessTokens ?? []), ...keys.client]), ...(upstream?.misplacedKeys(keys) ?? [])];
}

/** Finds keys in a body streamed chunk by chunk, across chunk boundaries, keeping only a short tail. */
export function bodyKeyScanner(keys: readonly string[]) {
  const needles = keys.map((key) => Buffer.from(key));
  const overlap = Math.max(0, ...needles.map((n) => n.length - 1));
  const found = new Set<string>();
  let tail = Buffer.alloc(0);
  return {
    write(chunk: Buffer): void {
      if (needles.length === 0) return;
      const seam = Buffer.concat([tail, chunk.subarray(0, overlap)]);
      needles.forEach((needle, i) => {
        if (!found.has(keys[i]!) && (chunk.includes(needle) || seam.includes(needle))) found.add(keys[i]!);
      });
      tail = chunk.length >= overlap ? Buffer.from(chunk.subarray(chunk.length - overlap)) : Buffer.concat([tail, chunk]).subarray(-overlap);
    },
    found: (): string[] => [...found].map(fingerprint),
  };
}
