/**
 * What the benches print: aligned tables on stderr, numbers formatted one way, latency summaries
 * in the `--json` objects, and the machine's busy cores (other tenants included) around a run.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import type { Percentiles } from "./histogram.ts";
import type { RunResult } from "./load.ts";

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const w = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join("  ");
  return [line(headers), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

/** A whole number with thousands separators. */
export const int = (x: number): string => Math.round(x).toLocaleString("en-US");

/** Nanoseconds as milliseconds, fewer decimals as they grow; "–" when there is no value. */
export const ms = (ns: number | undefined): string => (ns === undefined || !Number.isFinite(ns) ? "–" : (ns / 1e6).toFixed(ns < 10e6 ? 2 : ns < 100e6 ? 1 : 0));

/** A latency summary in a `--json` object: count and percentiles in ms (3 decimals). */
export function latencyJson(p: Percentiles | null | undefined): Record<string, number> | null {
  if (!p) return null;
  const r = (ns: number) => +(ns / 1e6).toFixed(3);
  return { count: p.count, p50_ms: r(p.p50), p90_ms: r(p.p90), p99_ms: r(p.p99), p999_ms: r(p.p99_9), max_ms: r(p.max) };
}

export interface HostTicks {
  busy: number;
  total: number;
}

/** Busy and total jiffies of the whole machine (/proc/stat): every tenant, not just this run. */
export function hostTicks(): HostTicks {
  try {
    const f = readFileSync("/proc/stat", "utf8");
    const xs = f.slice(0, f.indexOf("\n")).trim().split(/\s+/).slice(1).map(Number);
    const total = xs.reduce((a, b) => a + b, 0);
    return { busy: total - xs[3]! - (xs[4] ?? 0), total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Busy cores of the machine between two hostTicks(). */
export function hostBusy(a: HostTicks, b: HostTicks): number {
  return ((b.busy - a.busy) / (b.total - a.total)) * cpus().length;
}

/** A load run's counts in the JSON both door benches print (fix.ts, ws.ts). */
export function runCountsJson(r: RunResult) {
  return {
    offered_per_s: Math.round(r.offered),
    achieved_per_s: Math.round(r.achieved),
    sent: r.sent,
    answered: r.answered,
    acks: r.acks,
    cancelled: r.cancelled,
    rejects: r.rejects,
    errors: r.errors,
  };
}

/** A load run's latencies (ms) in the JSON both door benches print. */
export function runLatencyJson(r: RunResult) {
  return {
    latency: latencyJson(r.all),
    ack_latency: latencyJson(r.orders),
    cancel_latency: latencyJson(r.cancels),
    send_lateness: latencyJson(r.lateness),
    ack_p99_ms_per_segment: r.segmentP99.map((x) => +(x / 1e6).toFixed(3)),
  };
}

/** A load run's table cells, offered rate to cancel p99 (ms), as both door benches print them. */
export function runCells(r: RunResult): string[] {
  return [r.mode === "open" ? int(r.offered) : "closed", int(r.achieved), ms(r.orders?.p50), ms(r.orders?.p90), ms(r.orders?.p99), ms(r.orders?.p99_9), ms(r.orders?.max), ms(r.cancels?.p99)];
}
