/**
 * One timer for every session's idle and closing deadlines. A session only records when it last saw a byte;
 * the sweep asks each session, once a period, whether a deadline has passed. Deadlines fire up to one period
 * late, which is fine for timeouts of seconds to minutes, and a chunk costs a clock read rather than a timer.
 */

export interface Sweepable {
  checkDeadlines(now: number): void;
}

export class SessionSweep {
  private readonly sessions = new Set<Sweepable>();
  private timer: NodeJS.Timeout | undefined;

  /** With `periodMs` 0 nothing is timed: `tick()` runs the sweep (tests drive it with their own clock). */
  constructor(
    private readonly periodMs = 1_000,
    readonly now: () => number = Date.now,
  ) {}

  add(session: Sweepable): void {
    this.sessions.add(session);
    if (this.timer !== undefined || this.periodMs <= 0) return;
    this.timer = setInterval(() => this.tick(), this.periodMs);
    this.timer.unref();
  }

  remove(session: Sweepable): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0) this.close();
  }

  get size(): number {
    return this.sessions.size;
  }

  tick(): void {
    const now = this.now();
    for (const session of this.sessions) session.checkDeadlines(now);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
