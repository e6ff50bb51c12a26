/**
 * The sequencer's clock: microseconds since the Unix epoch, never going backwards — not across a
 * wall-clock step, and not across a restart (recovery seeds it with the journal's last time). This
 * is the only clock the core sees; the engine gets time from the commands it stamps.
 */
export class EngineClock {
  private last: number;

  constructor(
    notBefore = 0,
    /** Where time comes from, µs since the epoch: the wall clock, or a test's shifted one. */
    private readonly source: () => number = wallMicros,
  ) {
    this.last = notBefore;
  }

  now(): number {
    const t = this.source();
    if (t > this.last) this.last = t;
    return this.last;
  }

  /** Never hand out a time earlier than one already journaled. */
  advanceTo(time: number): void {
    if (time > this.last) this.last = time;
  }
}

/** The wall clock in µs since the epoch. */
export function wallMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
