/**
 * The load loops both door harnesses (bench/ws-drive.ts, bench/fix-drive.ts) run, and the figures
 * they report alike: request j of a run is slot j, its latency, kind and outcome kept in typed
 * arrays filled as answers come, summarized after the run.
 */
import { summarize, type Percentiles } from "./histogram.ts";
import { sleep } from "./ws-wire.ts";

export const Outcome = { NONE: 0, ACK: 1, REJECT: 2, CANCELLED: 3, ERROR: 4, ECHO: 5 } as const;

export interface RunResult {
  mode: "open" | "closed";
  /** Offered requests/s (open loop); 0 for closed loop. */
  offered: number;
  seconds: number;
  sent: number;
  answered: number;
  /** Answers per second: answered / (last answer − first scheduled send) (open); in the measured window (closed). */
  achieved: number;
  acks: number;
  rejects: number;
  cancelled: number;
  errors: number;
  echoes: number;
  /** REJECT reasons and ERROR codes seen, with counts. */
  reasons: Record<string, number>;
  /** Every request; new orders only (latency to ACK or REJECT); cancels only. ns. */
  all: Percentiles | null;
  orders: Percentiles | null;
  cancels: Percentiles | null;
  /** Median latency of the first and last fifth of the requests (queue build-up shows here). ns. */
  p50First: number;
  p50Last: number;
  /** Actual send (the tick that wrote the frame) − scheduled send. ns. */
  lateness: Percentiles | null;
  /** Open loop: p99 of NEW_ORDER latency in each 0.5 s of the schedule (one stall moves one segment). ns. */
  segmentP99: number[];
  /** The harness's own queued bytes, max over the run (the kernel did not take them at once). */
  maxBacklog: number;
  /** CPU of this (harness) process over the run, as a share of one core. */
  cpuShare: number;
}

/** What a run keeps per request (slot j) and as it goes, as both harnesses fill it. */
export interface RunSlots {
  count: number;
  t0: number;
  /** Open loop: ns between scheduled sends. */
  period: number;
  /** Closed loop: when each slot was sent. */
  sendAt: Float64Array | null;
  lat: Float64Array;
  /** 0 new order, 1 cancel. */
  kind: Uint8Array;
  outcome: Uint8Array;
  reasons: Map<string, number>;
  answered: number;
  lastAnswer: number;
  /** Open loop: called when every request was answered. */
  done: (() => void) | null;
  /** Closed loop: per connection, next slot; sending stops at `until`. */
  closed: boolean;
  next: Int32Array | null;
  until: number;
  /** Closed loop: answers to requests sent from here on count towards throughput. */
  measureFrom: number;
  inWindow: number;
}

/** A run's slots, empty: `count` requests over `n` connections, open or closed loop. */
export function newSlots(count: number, closed: boolean, n: number): RunSlots {
  return {
    count,
    t0: 0,
    period: 0,
    sendAt: closed ? new Float64Array(count) : null,
    lat: new Float64Array(count),
    kind: new Uint8Array(count),
    outcome: new Uint8Array(count),
    reasons: new Map(),
    answered: 0,
    lastAnswer: 0,
    done: null,
    closed,
    next: closed ? new Int32Array(n) : null,
    until: 0,
    measureFrom: 0,
    inWindow: 0,
  };
}

/** A connection's outgoing side as the pacer sees it. */
export interface Flushable {
  readonly queued: number;
  readonly backlog: number;
  flush(): void;
}

/**
 * Open loop: request j is due at t0 + j·period (the schedule is fixed, so a slow answer cannot
 * hold the next send back). Each tick sends what is due with `send(j)`, flushes every connection
 * once, and records how late each send was in `late`. Resolves with how many were sent and the
 * largest backlog the harness itself kept on a connection.
 */
export function paceOpen(clock: () => number, t0: number, period: number, count: number, late: Float64Array, conns: readonly Flushable[], send: (j: number) => void): Promise<{ sent: number; maxBacklog: number }> {
  let j = 0;
  let maxBacklog = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = clock();
      while (j < count && t0 + j * period <= now) {
        send(j);
        late[j] = now - (t0 + j * period);
        j++;
      }
      for (const conn of conns) {
        if (conn.queued > 0) conn.flush();
        const bl = conn.backlog;
        if (bl > maxBacklog) maxBacklog = bl;
      }
      if (j >= count) return resolve({ sent: j, maxBacklog });
      const wait = (t0 + j * period - clock()) / 1e6;
      setTimeout(tick, Math.max(1, wait));
    };
    setTimeout(tick, Math.max(0, (t0 - clock()) / 1e6));
  });
}

/** Closed loop: requests sent so far over `n` connections. */
export function sentClosed(r: RunSlots, n: number): number {
  let s = 0;
  for (let c = 0; c < n; c++) s += r.next![c]!;
  return s;
}

/** Closed loop, after the run: waits (up to 10 s) for the last window's answers, so the next run starts on a quiet server. */
export async function awaitClosed(r: RunSlots, n: number): Promise<void> {
  const t = Date.now();
  while (r.answered < sentClosed(r, n) && Date.now() - t < 10_000) await sleep(5);
}

/** Closed loop: the run cut to the requests actually sent, in the order they were sent. */
export function closedInSendOrder<R extends RunSlots>(r: R, n: number): R {
  const total = sentClosed(r, n);
  const idx: number[] = [];
  for (let c = 0; c < n; c++) for (let k = 0; k < r.next![c]!; k++) idx.push(k * n + c);
  idx.sort((a, b) => r.sendAt![a]! - r.sendAt![b]!);
  const sub: R = { ...r, count: total, lat: new Float64Array(total), kind: new Uint8Array(total), outcome: new Uint8Array(total) };
  idx.forEach((j, i) => {
    sub.lat[i] = r.lat[j]!;
    sub.kind[i] = r.kind[j]!;
    sub.outcome[i] = r.outcome[j]!;
  });
  return sub;
}

/**
 * A run's figures from its slots: outcome counts, latency percentiles (all, new orders, cancels),
 * the first and last fifth's p50, lateness and, open loop, the p99 of each 0.5 s of the schedule.
 */
export function summarizeRun(r: RunSlots, mode: "open" | "closed", offered: number, seconds: number, late: Float64Array | null, sent: number): RunResult {
  // One scratch array, refilled for each subset (runs reach millions of requests).
  const tmp = new Float64Array(r.count);
  const pick = (want: (j: number) => boolean): Percentiles | null => {
    let k = 0;
    for (let j = 0; j < r.count; j++) if (r.outcome[j] !== 0 && want(j)) tmp[k++] = r.lat[j]!;
    return k ? summarize(tmp, k) : null;
  };
  const counts = [0, 0, 0, 0, 0, 0];
  for (let j = 0; j < r.count; j++) counts[r.outcome[j]!]!++;
  // p50 of the first and last fifth (answered requests, in schedule order).
  const fifth = Math.floor(r.count / 5);
  const p50of = (from: number, to: number) => {
    let k = 0;
    for (let j = from; j < to; j++) if (r.outcome[j] !== 0) tmp[k++] = r.lat[j]!;
    const xs = tmp.subarray(0, k).sort();
    return k ? xs[k >> 1]! : NaN;
  };
  const segments: number[] = [];
  if (mode === "open") {
    const k = Math.max(1, Math.round((r.count * r.period) / 0.5e9));
    for (let i = 0; i < k; i++) {
      let m = 0;
      const to = Math.floor(((i + 1) * r.count) / k);
      for (let j = Math.floor((i * r.count) / k); j < to; j++) if (r.outcome[j] !== 0 && r.kind[j] === 0) tmp[m++] = r.lat[j]!;
      if (m > 0) segments.push(summarize(tmp, m).p99);
    }
  }
  return {
    mode,
    offered,
    seconds,
    sent,
    answered: r.answered,
    achieved: 0,
    acks: counts[Outcome.ACK]!,
    rejects: counts[Outcome.REJECT]!,
    cancelled: counts[Outcome.CANCELLED]!,
    errors: counts[Outcome.ERROR]!,
    echoes: counts[Outcome.ECHO]!,
    reasons: Object.fromEntries(r.reasons),
    all: pick(() => true),
    orders: pick((j) => r.kind[j] === 0),
    cancels: pick((j) => r.kind[j] === 1),
    p50First: fifth > 0 ? p50of(0, fifth) : NaN,
    p50Last: fifth > 0 ? p50of(r.count - fifth, r.count) : NaN,
    lateness: late ? summarize(late, sent) : null,
    segmentP99: segments,
    maxBacklog: 0,
    cpuShare: 0,
  };
}

/** CPU time of this process per wall time, from process.cpuUsage (µs) over `wallNs`. */
const cpuShare = (cpu: NodeJS.CpuUsage, wallNs: number): number => ((cpu.user + cpu.system) * 1e3) / wallNs;

/**
 * An open-loop run's result: achieved = answers over the span from t0 to the last answer (or the
 * last scheduled send, whichever is later). `cpu` and `wallNs` cover the run from before t0.
 */
export function openRunResult(r: RunSlots, rate: number, seconds: number, late: Float64Array, sent: number, maxBacklog: number, cpu: NodeJS.CpuUsage, wallNs: number): RunResult {
  const res = summarizeRun(r, "open", rate, seconds, late, sent);
  res.maxBacklog = maxBacklog;
  res.achieved = r.answered > 0 ? r.answered / ((Math.max(r.lastAnswer, r.t0 + (r.count - 1) * r.period) - r.t0) / 1e9) : 0;
  res.cpuShare = cpuShare(cpu, wallNs);
  return res;
}

/** A closed-loop run's result: latencies in send order, achieved = answers to what was sent after the warm-up. */
export function closedRunResult(r: RunSlots, n: number, seconds: number, warmupS: number, cpu: NodeJS.CpuUsage, wallNs: number): RunResult {
  const sub = closedInSendOrder(r, n);
  const res = summarizeRun(sub, "closed", 0, seconds, null, sub.count);
  res.achieved = r.inWindow / (seconds - warmupS);
  res.cpuShare = cpuShare(cpu, wallNs);
  return res;
}

/**
 * Starts a closed-loop run now (after a full GC): t0, the end of the warm-up and the stop time.
 * Returns the CPU mark and the start (clock ns) for closedRunResult.
 */
export function startClosedRun(r: RunSlots, clock: () => number, seconds: number, warmupS: number): { cpu0: NodeJS.CpuUsage; start: number } {
  Bun.gc(true);
  const cpu0 = process.cpuUsage();
  const start = clock();
  r.t0 = start;
  r.measureFrom = start + warmupS * 1e9;
  r.until = start + seconds * 1e9;
  return { cpu0, start };
}
