/**
 * Keeps a flood of one kind of line from filling a disk: each kind (a record's `msg`) has a token
 * bucket of `burst` lines refilled at `perSecond`. A line with no token is dropped and counted; the
 * count is reported as one "suppressed similar lines" record before the next line of that kind gets
 * through, or after `reportAfterMs` if none does. Constant messages with the variable parts in
 * fields make "kind" mean what a person would call one kind of line.
 */
export interface RateLimitOptions {
  /** Lines of one kind let through per second, sustained. Default 20. */
  perSecond?: number;
  /** Lines of one kind let through at once before the rate applies. Default 50. */
  burst?: number;
  /** How long a suppressed count may wait for the next line of its kind before it is reported anyway. Default 5000. */
  reportAfterMs?: number;
}

interface Bucket {
  tokens: number;
  at: number;
  suppressed: number;
}

/** Kinds remembered at most; past it, full buckets with nothing suppressed are forgotten. */
const MAX_KINDS = 1000;

export class RateLimiter {
  private readonly perSecond: number;
  private readonly burst: number;
  readonly reportAfterMs: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(o: RateLimitOptions = {}) {
    this.perSecond = o.perSecond ?? 20;
    this.burst = o.burst ?? 50;
    this.reportAfterMs = o.reportAfterMs ?? 5000;
  }

  /**
   * Whether a line of `kind` may be written at `now` (ms). When it may, `suppressedBefore` is how
   * many of its kind were dropped since the last one written (to be reported first), else 0.
   */
  take(kind: string, now: number): { allowed: boolean; suppressedBefore: number } {
    let b = this.buckets.get(kind);
    if (b === undefined) {
      if (this.buckets.size >= MAX_KINDS) this.forgetIdle(now);
      // Still full: every kind is busy. Forget the oldest rather than grow; its count is lost.
      if (this.buckets.size >= MAX_KINDS) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, at: now, suppressed: 0 };
      this.buckets.set(kind, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens < 1) {
      b.suppressed++;
      return { allowed: false, suppressedBefore: 0 };
    }
    b.tokens -= 1;
    const suppressedBefore = b.suppressed;
    b.suppressed = 0;
    return { allowed: true, suppressedBefore };
  }

  /** Counts dropped and not yet reported, by kind; clears them (the caller reports them). */
  drainSuppressed(): [kind: string, count: number][] {
    const out: [string, number][] = [];
    for (const [kind, b] of this.buckets) {
      if (b.suppressed > 0) {
        out.push([kind, b.suppressed]);
        b.suppressed = 0;
      }
    }
    return out;
  }

  private forgetIdle(now: number): void {
    for (const [kind, b] of this.buckets) {
      const tokens = b.tokens + ((now - b.at) / 1000) * this.perSecond;
      if (b.suppressed === 0 && tokens >= this.burst) this.buckets.delete(kind);
    }
  }
}
