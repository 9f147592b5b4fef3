import { readFileSync } from 'node:fs';
import type { Config, Problem, WorkloadIdentity } from '../config/config';
import { Credential, type CredentialDeps } from './credential';
import { exchangeIdentity } from './exchange';

/** The credential of `upstream.apiKey`; a client's own is named after the client. */
export const UPSTREAM_CREDENTIAL = 'upstream';
/**
 * The first-byte timeout is long because reasoning models think before they answer; a token endpoint does not,
 * and a hung exchange must not eat the lifetime left on the current credential. Whichever is shorter applies.
 */
export const EXCHANGE_ANSWER_TIMEOUT_MS = 30_000;

/** The keyless credentials a config asks for, by name; each lives from `start` to `close`. */
export class CredentialSet {
  private constructor(private readonly byName: ReadonlyMap<string, Credential>) {}

  /**
   * One credential per workload identity in use. The token files are read once here so that a wrong path stops
   * the start with the setting named, as an unreadable key file does; exchanges read them again each time.
   */
  static load(config: Config): { set: CredentialSet; problems: Problem[] } {
    const problems: Problem[] = [];
    const byName = new Map<string, Credential>();
    const timeouts = { connectTimeoutMs: config.upstream.connectTimeoutMs, firstByteTimeoutMs: Math.min(config.upstream.firstByteTimeoutMs, EXCHANGE_ANSWER_TIMEOUT_MS) };
    for (const [name, identity] of identitiesInUse(config)) {
      const problem = tokenFileProblem(identity.tokenFile);
      if (problem) problems.push({ setting: identity.tokenFileSetting, message: problem });
      byName.set(name, new Credential(name, () => exchangeIdentity(identity, timeouts)));
    }
    return { set: new CredentialSet(byName), problems };
  }

  static readonly none = new CredentialSet(new Map());

  get(name: string): Credential | undefined {
    return this.byName.get(name);
  }

  get size(): number {
    return this.byName.size;
  }

  start(deps: CredentialDeps): void {
    for (const credential of this.byName.values()) credential.start(deps);
  }

  close(): void {
    for (const credential of this.byName.values()) credential.close();
  }

  /** Every credential obtained at least once. */
  ready(): boolean {
    for (const credential of this.byName.values()) if (!credential.ready) return false;
    return true;
  }
}

/** The default upstream's only if some caller uses it: an unused credential would hold readiness back for nothing. */
function identitiesInUse(config: Config): Array<[string, WorkloadIdentity]> {
  const found: Array<[string, WorkloadIdentity]> = [];
  const upstream = config.upstream.apiKey;
  const defaultUsed = config.auth === 'none' || config.clients.length === 0 || config.clients.some((c) => !c.upstreamKey);
  if (upstream?.kind === 'workloadIdentity' && defaultUsed) found.push([UPSTREAM_CREDENTIAL, upstream.identity]);
  for (const client of config.auth === 'none' ? [] : config.clients) {
    if (client.upstreamKey?.kind === 'workloadIdentity') found.push([client.name, client.upstreamKey.identity]);
  }
  return found;
}

function tokenFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `cannot read the identity token file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`;
  }
  return text.trim() === '' ? `the identity token file ${path} is empty` : undefined;
}
