/**
 * Deadlines checked by one shared timer instead of a timer each. Arming a socket timer per request (enroll,
 * listener, unenroll) showed up in the request path's profile; a Map entry does not. Deadlines fire up to one
 * period late, which is fine for timeouts measured in seconds to minutes.
 */
export class DeadlineSweep {
  private readonly deadlines = new Map<() => void, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly periodMs = 1_000) {}

  add(onExpire: () => void, timeoutMs: number): void {
    this.deadlines.set(onExpire, Date.now() + timeoutMs);
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), this.periodMs);
    this.timer.unref();
  }

  remove(onExpire: () => void): void {
    this.deadlines.delete(onExpire);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [onExpire, at] of this.deadlines) {
      if (at > now) continue;
      this.deadlines.delete(onExpire);
      onExpire();
    }
  }
}
