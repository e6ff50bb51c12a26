/**
 * Latency summaries with hdr-histogram-js. The timed loops write raw durations into a
 * preallocated Float64Array (no histogram call inside the loop); they are recorded into an HDR
 * histogram afterwards (3 significant digits, 1 ns .. 100 s).
 */
import * as hdr from "hdr-histogram-js";

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  p99_99: number;
  max: number;
}

export function summarize(values: Float64Array, count = values.length, subtract = 0): Percentiles {
  const h = hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 100e9,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = Math.max(1, Math.round(values[i]! - subtract));
    sum += v;
    h.recordValue(v);
  }
  const r: Percentiles = {
    count,
    mean: count > 0 ? sum / count : 0,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p99_9: h.getValueAtPercentile(99.9),
    p99_99: h.getValueAtPercentile(99.99),
    max: h.maxValue,
  };
  h.destroy();
  return r;
}

/** Median of a small sample (trial results). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/**
 * Cost of the timer pair around an op, measured the same way (two Bun.nanoseconds() calls back
 * to back); reported beside the per-op percentiles, and not subtracted from them.
 */
export function timerOverhead(samples = 200_000): Percentiles {
  const lat = new Float64Array(samples);
  const now = Bun.nanoseconds;
  for (let i = 0; i < samples; i++) {
    const t0 = now();
    lat[i] = now() - t0;
  }
  return summarize(lat);
}
