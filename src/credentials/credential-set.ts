import { readFileSync } from 'node:fs';
import type { Config, Problem, WorkloadIdentity } from '../config/types';
import { UPSTREAM_CREDENTIAL } from '../config/workload-identity';
import { Credential, type CredentialDeps } from './credential';
import { exchangeIdentity } from './exchange';

/**
 * The first-byte timeout is long because reasoning models think before they answer; a token endpoint does not,
 * and a hung exchange must not eat the lifetime left on the current credential. Whichever is shorter applies.
 */
export const EXCHANGE_ANSWER_TIMEOUT_MS = 30_000;
/** One exchange, start to answer, whatever the endpoint does: a refresh that takes longer has failed. */
export const EXCHANGE_DEADLINE_MS = 30_000;

/**
 * The keyless credentials a config asks for: the default upstream's and each client's own, kept apart so that
 * a client's name can never stand for the default's. Each lives from `start` to `close`.
 */
export class CredentialSet {
  private constructor(
    private readonly upstream: Credential | undefined,
    private readonly byClient: ReadonlyMap<string, Credential>,
  ) {}

  /**
   * One credential per workload identity in use. The token files are read once here so that a wrong path stops
   * the start with the setting named, as an unreadable key file does; exchanges read them again each time.
   */
  static load(config: Config): { set: CredentialSet; problems: Problem[] } {
    const problems: Problem[] = [];
    const timeouts = {
      connectTimeoutMs: config.upstream.connectTimeoutMs,
      firstByteTimeoutMs: Math.min(config.upstream.firstByteTimeoutMs, EXCHANGE_ANSWER_TIMEOUT_MS),
      deadlineMs: EXCHANGE_DEADLINE_MS,
    };
    const credentialOf = (name: string, identity: WorkloadIdentity) => {
      const problem = tokenFileProblem(identity.tokenFile);
      if (problem) problems.push({ setting: identity.tokenFileSetting, message: problem });
      return new Credential(name, (held) => exchangeIdentity(identity, timeouts, held));
    };
    const { upstream, clients } = identitiesInUse(config);
    const set = new CredentialSet(
      upstream && credentialOf(UPSTREAM_CREDENTIAL, upstream),
      new Map(clients.map(([name, identity]) => [name, credentialOf(name, identity)])),
    );
    return { set, problems };
  }

  static readonly none = new CredentialSet(undefined, new Map());

  /** The credential of `upstream.apiKey`, for the callers without an upstream key of their own. */
  forUpstream(): Credential | undefined {
    return this.upstream;
  }

  /** The credential of a client's own `upstreamKey`. */
  forClient(name: string): Credential | undefined {
    return this.byClient.get(name);
  }

  private all(): Credential[] {
    return this.upstream ? [this.upstream, ...this.byClient.values()] : [...this.byClient.values()];
  }

  get size(): number {
    return this.all().length;
  }

  start(deps: CredentialDeps): void {
    for (const credential of this.all()) credential.start(deps);
  }

  close(): void {
    for (const credential of this.all()) credential.close();
  }

  /** Every credential holds a valid token (none expired with no new one in hand). */
  ready(): boolean {
    return this.all().every((credential) => credential.ready);
  }
}

/** The default upstream's only if some caller uses it: an unused credential would hold readiness back for nothing. */
function identitiesInUse(config: Config): { upstream?: WorkloadIdentity; clients: Array<[string, WorkloadIdentity]> } {
  const upstream = config.upstream.apiKey;
  const defaultUsed = config.auth === 'none' || config.clients.length === 0 || config.clients.some((c) => !c.upstreamKey);
  const clients: Array<[string, WorkloadIdentity]> = [];
  for (const client of config.auth === 'none' ? [] : config.clients) {
    if (client.upstreamKey?.kind === 'workloadIdentity') clients.push([client.name, client.upstreamKey.identity]);
  }
  return upstream?.kind === 'workloadIdentity' && defaultUsed ? { upstream: upstream.identity, clients } : { clients };
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
