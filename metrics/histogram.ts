/**
 * Fixed-bucket histograms over a Float64Array, so that an observation on the order path is a few
 * comparisons and three stores: no object, no label lookup, no allocation. The array may sit on a
 * SharedArrayBuffer, so a worker (the journal's syncer, the snapshotter) observes and the main
 * thread reads at scrape time. One writer per histogram: the reader may see a count a moment
 * ahead of its sum, which a scrape tolerates (Prometheus rates smooth it away).
 *
 * Layout of one series at `at`: a count per bucket (bounds.length of them, then +Inf), the sum,
 * the count. Counts are per bucket, not cumulative; the exposition writer accumulates them.
 */
export class Histogram {
  /** Float64 cells one series takes. */
  static cells(bounds: readonly number[]): number {
    return bounds.length + 3;
  }

  constructor(
    /** Upper bounds, ascending, in base units (seconds, commands). */
    readonly bounds: Float64Array,
    readonly data: Float64Array,
    readonly at = 0,
  ) {}

  observe(v: number): void {
    const b = this.bounds;
    const n = b.length;
    let i = 0;
    while (i < n && v > b[i]!) i++;
    const d = this.data;
    const at = this.at;
    d[at + i]!++;
    d[at + n + 1]! += v;
    d[at + n + 2]!++;
  }

  get count(): number {
    return this.data[this.at + this.bounds.length + 2]!;
  }

  get sum(): number {
    return this.data[this.at + this.bounds.length + 1]!;
  }
}

/** Latency buckets in seconds, 50 µs to 10 s: an order's ack and an fdatasync both fall in them. */
export const LATENCY_BOUNDS = new Float64Array([0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]);

/** Size buckets (commands in one group commit), 1 to 65,536. */
export const SIZE_BOUNDS = new Float64Array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536]);
