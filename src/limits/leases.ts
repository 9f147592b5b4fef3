import type { Plan } from './plan';
import type { StoreLink } from './store-link';

/**
 * The stream leases this replica holds in Redis, renewed together by one timer (not one per stream): each
 * renewal moves their expiry to now + the lease time, so the leases of a replica that dies lapse within it.
 * The renewal adds a lease that Redis lost (restarted) back, for as long as its stream is open here.
 */
export class Leases {
  private readonly open = new Map<Plan, Set<string>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly link: StoreLink,
    private readonly now: () => number,
    private readonly leaseMs: number,
    renewMs: number,
    /** Also run on each tick: a periodic chance to send what is pending when traffic is quiet. */
    private readonly tick: () => void,
  ) {
    this.timer = setInterval(() => this.renew(), renewMs);
    this.timer.unref();
  }

  add(plan: Plan, id: string): void {
    const ids = this.open.get(plan);
    if (ids) ids.add(id);
    else this.open.set(plan, new Set([id]));
  }

  delete(plan: Plan, id: string): void {
    const ids = this.open.get(plan);
    if (!ids?.delete(id)) return;
    if (ids.size === 0) this.open.delete(plan);
  }

  renew(): void {
    this.tick();
    if (this.open.size === 0 || !this.link.available()) return;
    const expiry = this.now() + this.leaseMs;
    for (const [plan, ids] of this.open) {
      const key = `${plan.tag}streams`;
      const args: (string | number)[] = ['ZADD', key];
      for (const id of ids) args.push(expiry, id);
      this.link.send(args).catch((err: unknown) => this.link.failed(err));
      this.link.send(['PEXPIRE', key, this.leaseMs + 1000]).catch((err: unknown) => this.link.failed(err));
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
