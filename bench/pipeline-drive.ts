/**
 * Drivers for bench/pipeline.ts: feed a pre-built command array to a Sequencer (the embedded
 * Runtime or the WorkerHost) the way clients would, and time what comes back.
 *
 * Tokens are the command's index in the array + 1, so a delivery says which command it answers.
 */
import type { Sequencer } from "../actors/sequencer.ts";
import type { Command } from "../engine/commands.ts";
import { EVENT_WIDTH, type EventBuffer } from "../engine/events.ts";

/** Event counts by type over the commands delivered: the check that every configuration did the same work. */
export class Tally {
  readonly byType = new Float64Array(16);
  commands = 0;

  add(ev: EventBuffer, from: number, to: number): void {
    this.commands++;
    const d = ev.data;
    for (let i = from; i < to; i++) this.byType[d[i * EVENT_WIDTH]! & 15]!++;
  }

  same(o: Tally): boolean {
    return this.commands === o.commands && this.byType.every((x, i) => x === o.byType[i]);
  }
}

/** Rejects when the sequencer stops or nothing completes within `ms`; returns a canceller. */
function watchdog(s: Sequencer, ms: number, reject: (e: Error) => void): () => void {
  const started = performance.now();
  const t = setInterval(() => {
    if (s.stopped) reject(new Error("the sequencer stopped during the run (see its log)"));
    else if (performance.now() - started > ms) reject(new Error(`run did not complete within ${ms / 1000} s`));
  }, 100);
  return () => clearInterval(t);
}

export interface BurstRun {
  /** Submit of the first command → delivery of the last. */
  ns: number;
  /** Synchronous runs of deliveries seen on this thread (one per flush for workers 0). */
  wakeups: number;
}

/**
 * Closed on nothing, open on the burst: submits cmds[from, to) `burst` at a time, one burst per
 * turn of the event loop (setImmediate, queued after the sequencer's own flush of that turn), as
 * fast as the loop turns; resolves at the delivery of the last command. Deliveries arrive in
 * sequence order, so the last one delivered means all were.
 */
export function burstRun(s: Sequencer, cmds: readonly Command[], from: number, to: number, burst: number, tally?: Tally, timeoutMs = 300_000): Promise<BurstRun> {
  return new Promise<BurstRun>((resolve, reject) => {
    let i = from;
    let wakeups = 0;
    let inRun = false;
    const endRun = () => {
      inRun = false;
    };
    const fail = (e: Error) => {
      off();
      stop();
      reject(e);
    };
    const stop = watchdog(s, timeoutMs, fail);
    const t0 = Bun.nanoseconds();
    const off = s.onDelivery((_seq, token, ev, a, b) => {
      if (!inRun) {
        inRun = true;
        wakeups++;
        queueMicrotask(endRun);
      }
      if (token > from) tally?.add(ev, a, b);
      if (token === to) {
        const ns = Bun.nanoseconds() - t0;
        off();
        stop();
        resolve({ ns, wakeups });
      }
    });
    const step = () => {
      try {
        const end = Math.min(i + burst, to);
        for (; i < end; i++) s.submit(cmds[i]!, i + 1);
        if (i < to) setImmediate(step);
      } catch (e) {
        fail(e as Error);
      }
    };
    step();
  });
}

export interface PacedRun {
  count: number;
  /** Offered and achieved (commands / first scheduled send → last delivery). */
  rate: number;
  achieved: number;
  /** Delivery − scheduled send time, per command (ns). */
  latency: Float64Array;
  /** Actual submit call − scheduled send time: how late the driver itself was. */
  lag: Float64Array;
}

/**
 * How the paced driver waits for the next send: `spin` turns the event loop with setImmediate
 * (every send on time, but the thread never sleeps: a whole core), `tick` sleeps on a timer
 * (setTimeout 0, ~1.1 ms in Bun) and sends what fell due meanwhile as one burst, like packets
 * arriving at a gateway; the thread then idles between ticks as a gateway's would.
 */
export type Pace = "spin" | "tick";

/**
 * Open loop: cmds[from, from + count) offered at `rate` per second on a schedule fixed before the
 * first send. Every wake-up submits whatever is due by now (so a turn blocked by a flush and its
 * fdatasync sends the commands that fell due meanwhile as one burst, late), then yields.
 * Latency = delivery time − scheduled send time, so waiting behind a slow batch counts.
 */
export function pacedRun(s: Sequencer, cmds: readonly Command[], from: number, count: number, rate: number, pace: Pace = "spin", timeoutMs = 300_000): Promise<PacedRun> {
  const interval = 1e9 / rate;
  const sched = new Float64Array(count);
  const latency = new Float64Array(count);
  const lag = new Float64Array(count);
  const now = Bun.nanoseconds;
  return new Promise<PacedRun>((resolve, reject) => {
    let next = 0;
    let done = 0;
    const fail = (e: Error) => {
      off();
      stop();
      reject(e);
    };
    const stop = watchdog(s, timeoutMs, fail);
    const off = s.onDelivery((_seq, token) => {
      const k = token - 1 - from;
      if (k < 0 || k >= count) return;
      const t = now();
      latency[k] = t - sched[k]!;
      if (++done === count) {
        off();
        stop();
        resolve({ count, rate, achieved: (count * 1e9) / (t - sched[0]!), latency, lag });
      }
    });
    const loop = () => {
      try {
        let t = now();
        while (next < count && sched[next]! <= t) {
          s.submit(cmds[from + next]!, from + next + 1);
          lag[next] = t - sched[next]!;
          next++;
          t = now();
        }
        if (next < count) {
          if (pace === "spin") setImmediate(loop);
          else setTimeout(loop, 0);
        }
      } catch (e) {
        fail(e as Error);
      }
    };
    const start = now() + 2e6;
    for (let k = 0; k < count; k++) sched[k] = start + k * interval;
    setImmediate(loop);
  });
}
