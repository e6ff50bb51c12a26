/**
 * bench/history.ts, live: the embedded runtime with fsync on, driven as bench/pipeline.ts drives it
 * (B commands per turn of the event loop), with and without a HistoryWriterHost following it —
 * publish(seq) on each delivery, as app/exchange.ts wires it. Both kinds of trial record the
 * delivery time of every seq (the same listener cost on both sides); with the writer, its lag is
 * sampled every few ms on the main thread.
 */
import { join } from "node:path";
import { rmSync } from "node:fs";
import { Runtime } from "../actors/runtime.ts";
import type { StoreLocation } from "../history/config.ts";
import { HistoryWriterHost } from "../history/writer-host.ts";
import { burstRun, pacedRun, Tally } from "./pipeline-drive.ts";
import { type Percentiles, summarize } from "./kit/histogram.ts";
import { gc, runtimeLog } from "./pipeline-options.ts";
import { clocks, coresSince, dataDir, type Stream } from "./pipeline-trials.ts";
import { ThrowawayDb } from "./history-pg.ts";
import type { Options } from "./history-options.ts";

export type Backend = "sqlite" | "postgres";

export interface LiveTrial {
  writer: Backend | null;
  /** Timed commands / (first submit → last delivery). */
  opsPerS: number;
  cores: number;
  tally: Tally;
  /** Lag samples (commands: engine's last seq − the writer's last written seq; ns: age of the oldest delivered command not yet written). */
  lagCmds: number[];
  lagNs: number[];
  /** Last delivery → the writer reached the last seq (ns); null: not within --catch-up-seconds. */
  catchUpNs: number | null;
  /** The writer's seq when the wait ended, and the last seq. */
  writerSeq: number;
  lastSeq: number;
  /** First submit → last delivery of the timed commands (ns). */
  runNs: number;
  /** Paced trials: submit → delivery latency of the timed commands (ns). */
  latency: Percentiles | null;
}

/** A flood (`rate` undefined: bursts as fast as the runtime takes them) or an open loop at `rate` commands/s. */
export async function liveTrial(s: Stream, o: Options, writer: Backend | null, rate?: number): Promise<LiveTrial> {
  const dir = dataDir(o.pipe);
  let rt: Runtime | null = null;
  let host: HistoryWriterHost | null = null;
  let db: ThrowawayDb | null = null;
  try {
    rt = Runtime.start({ config: s.config.exchange, dataDir: dir, fsync: true, hashEvery: 0, snapshotEvery: 0, log: runtimeLog });
    const engine = rt;
    // Delivery time per seq (grown as needed), recorded on both sides alike.
    let at = new Float64Array(s.to + 1024);
    const now = Bun.nanoseconds;
    let store: StoreLocation | null = null;
    if (writer === "sqlite") store = { kind: "sqlite", file: join(dir, "history.db") };
    else if (writer === "postgres") {
      db = await ThrowawayDb.create(o.adminUrl, "live");
      store = { kind: "postgres", url: db.url };
    }
    if (store) host = await HistoryWriterHost.start({ dataDir: dir, config: s.config.exchange, store, durable: engine.lastSeq, batchRows: o.batchRows, nice: o.nice, log: runtimeLog });
    const h = host;
    // The last seq delivered here (the runtime's lastSeq may run ahead of its deliveries).
    let delivered = engine.lastSeq;
    const off = engine.onDelivery((seq) => {
      delivered = seq;
      if (seq >= at.length) {
        const next = new Float64Array(at.length * 2);
        next.set(at);
        at = next;
      }
      at[seq] = now();
      h?.publish(seq);
    });
    try {
      // Seed and warm-up untimed; the writer (started first, as at an exchange's start) catches up before the timed part.
      await burstRun(engine, s.cmds, 0, s.from, o.pipe.burst);
      if (h && !(await h.reach(delivered, o.catchUpSeconds * 1000))) throw new Error(`the writer did not catch up with the warm-up within ${o.catchUpSeconds} s (at seq ${h.done(delivered)} of ${delivered})`);
      gc();
      const lagCmds: number[] = [];
      const lagNs: number[] = [];
      const sample = () => {
        if (!h) return;
        const last = delivered;
        const done = h.done(last);
        lagCmds.push(last - done);
        lagNs.push(done >= last ? 0 : now() - at[done + 1]!);
      };
      const timer = h ? setInterval(sample, o.sampleMs) : null;
      const tally = new Tally();
      const c0 = clocks();
      let r: { ns: number };
      let latency: Percentiles | null = null;
      try {
        if (rate === undefined) r = await burstRun(engine, s.cmds, s.from, s.to, o.pipe.burst, tally);
        else {
          const p = await pacedRun(engine, s.cmds, s.from, s.to - s.from, rate, "tick");
          latency = summarize(p.latency);
          r = { ns: ((s.to - s.from) * 1e9) / p.achieved };
        }
      } finally {
        if (timer) clearInterval(timer);
      }
      const cores = coresSince(c0);
      const lastSeq = delivered;
      let catchUpNs: number | null = null;
      let writerSeq = lastSeq;
      if (h) {
        const reached = await h.reach(lastSeq, o.catchUpSeconds * 1000);
        if (reached) catchUpNs = now() - at[lastSeq]!;
        writerSeq = h.done(lastSeq);
      }
      return { writer, opsPerS: ((s.to - s.from) * 1e9) / r.ns, cores, tally, lagCmds, lagNs, catchUpNs, writerSeq, lastSeq, runNs: r.ns, latency };
    } finally {
      off();
    }
  } finally {
    // A writer that is far behind is stopped at once (STOP 2 after the grace): the trial is over.
    await host?.stop(1_000);
    rt?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
