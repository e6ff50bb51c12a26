/**
 * A token bucket: `ratePerSecond` requests per second, bursts up to that many. Each door keeps one
 * per session, so one client's flood is refused without slowing anyone else.
 */
export class TokenBucket {
  private tokens: number;
  private refilled = performance.now();

  constructor(private readonly ratePerSecond: number) {
    this.tokens = ratePerSecond;
  }

  allow(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((now - this.refilled) / 1000) * this.ratePerSecond);
    this.refilled = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
