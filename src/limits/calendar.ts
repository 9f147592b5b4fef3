/** The UTC day and month a moment falls in: their names (in key names) and when they end. */
export interface Windows {
  /** `20261206` */
  readonly day: string;
  readonly dayEnd: number;
  /** `202612` */
  readonly month: string;
  readonly monthEnd: number;
  readonly start: number;
}

/**
 * Windows, made once per day rather than once per request: the same object is returned while `now` stays in
 * the day, so a ticket keeps its admission's windows by reference.
 */
export class Calendar {
  private current: Windows = windowsAt(0);

  at(now: number): Windows {
    if (now < this.current.start || now >= this.current.dayEnd) this.current = windowsAt(now);
    return this.current;
  }
}

export function windowsAt(now: number): Windows {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  const mm = String(month + 1).padStart(2, '0');
  return Object.freeze({
    day: `${year}${mm}${String(day).padStart(2, '0')}`,
    dayEnd: Date.UTC(year, month, day + 1),
    month: `${year}${mm}`,
    monthEnd: Date.UTC(year, month + 1, 1),
    start: Date.UTC(year, month, day),
  });
}

/** `2026-12-07T00:00:00Z`: a reset is always a whole second. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
