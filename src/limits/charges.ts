import { type Charge, type Plan, toNano } from './plan';
import type { Spend } from './types';

/**
 * What a ticket holds in each charged limit: first its reservation, then what it used, once usage passes the
 * reservation (`grow`) or is final (`finish`). Both return the change to apply to the store, per limit, or
 * undefined when nothing changes (nothing is sent then).
 */
export class Charges {
  protected tokens = 0;
  protected nano = 0;
  protected ended = false;

  constructor(
    readonly plan: Plan,
    readonly charged: Charge,
  ) {}

  /** Usage during the session: charged where it passes what is held already. */
  protected grow(spend: Spend): Charge | undefined {
    if (this.ended) return undefined;
    this.tokens += spend.tokens;
    this.nano += toNano(spend.usd);
    return this.change(true);
  }

  /** The final usage: what is held becomes exactly what was used, up or down. */
  protected finish(spend: Spend): Charge | undefined {
    if (this.ended) return undefined;
    this.ended = true;
    this.tokens += spend.tokens;
    this.nano += toNano(spend.usd);
    return this.change(false);
  }

  /** An add() the store did not take: its share is charged again by the next add() or end(). */
  protected revert(change: Charge): void {
    for (let i = 0; i < 5; i++) this.charged[i] -= change[i]!;
  }

  private change(onlyUp: boolean): Charge | undefined {
    const sizes = this.plan.sizes;
    const change: Charge = [0, 0, 0, 0, 0];
    let any = false;
    for (let i = 0; i < 5; i++) {
      if (sizes[i] === 0) continue;
      const used = i < 3 ? this.tokens : this.nano;
      const delta = onlyUp ? Math.max(0, used - this.charged[i]!) : used - this.charged[i]!;
      if (delta === 0) continue;
      change[i] = delta;
      this.charged[i] += delta;
      any = true;
    }
    return any ? change : undefined;
  }
}
