import { readFileSync } from 'node:fs';
import type { Config, Problem, SecretRef } from '../config/types';
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
 * The keyless credentials a config asks for, one per slot: the default key of the primary upstream
 * (`upstream`) and of each fallback (`upstream:<name>`), a client's own (`<client>`) and its own for a fallback
 * (`<client>:<name>`). Slots are kept apart so that no client's name can stand for another's credential; the slot
 * is the credential's metric label. Each lives from `start` to `close`.
 */
export class CredentialSet {
  private constructor(
    private readonly bySlot: ReadonlyMap<string, Credential>,
    /** Each chain in use (the default one, each client's own): its slots, `undefined` for a static key. */
    private readonly chains: ReadonlyArray<ReadonlyArray<string | undefined>>,
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
    const bySlot = new Map<string, Credential>();
    const slotOf = (slot: string, ref: SecretRef | undefined): string | undefined => {
      if (ref?.kind !== 'workloadIdentity') return undefined;
      const { identity } = ref;
      const problem = tokenFileProblem(identity.tokenFile);
      if (problem) problems.push({ setting: identity.tokenFileSetting, message: problem });
      bySlot.set(slot, new Credential(slot, (held) => exchangeIdentity(identity, timeouts, held)));
      return slot;
    };
    const chains: Array<Array<string | undefined>> = [];
    if (defaultKeyUsed(config)) {
      chains.push([slotOf(UPSTREAM_CREDENTIAL, config.upstream.apiKey), ...config.fallbacks.map((f) => slotOf(defaultSlot(f.name), f.apiKey))]);
    }
    for (const client of config.auth === 'none' ? [] : config.clients) {
      if (!client.upstreamKey) continue;
      const own = Object.entries(client.fallbackKeys ?? {}).map(([upstream, ref]) => slotOf(clientSlot(client.name, upstream), ref));
      chains.push([slotOf(client.name, client.upstreamKey), ...own]);
    }
    return { set: new CredentialSet(bySlot, chains), problems };
  }

  static readonly none = new CredentialSet(new Map(), []);

  /** The credential of an upstream's default key (`upstream.apiKey`, or a fallback's `apiKey`), if keyless. */
  forUpstream(fallback?: string): Credential | undefined {
    return this.bySlot.get(fallback === undefined ? UPSTREAM_CREDENTIAL : defaultSlot(fallback));
  }

  /** The credential of a client's own `upstreamKey` (or its `fallbackKeys` entry for `fallback`), if keyless. */
  forClient(name: string, fallback?: string): Credential | undefined {
    return this.bySlot.get(fallback === undefined ? name : clientSlot(name, fallback));
  }

  get size(): number {
    return this.bySlot.size;
  }

  start(deps: CredentialDeps): void {
    for (const credential of this.bySlot.values()) credential.start(deps);
  }

  close(): void {
    for (const credential of this.bySlot.values()) credential.close();
  }

  /**
   * Every chain in use can serve: one of its upstreams has a static key or a credential holding a valid token.
   * A keyless fallback whose token endpoint is down does not hold a Pod's readiness while the primary serves.
   */
  ready(): boolean {
    return this.chains.every((chain) => chain.some((slot) => slot === undefined || this.bySlot.get(slot)!.ready));
  }
}

const defaultSlot = (fallback: string) => `${UPSTREAM_CREDENTIAL}:${fallback}`;
const clientSlot = (client: string, fallback: string) => `${client}:${fallback}`;

/** The default keys serve some caller (an unused credential would hold readiness back for nothing). */
function defaultKeyUsed(config: Config): boolean {
  return config.auth === 'none' || config.clients.length === 0 || config.clients.some((c) => !c.upstreamKey);
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
