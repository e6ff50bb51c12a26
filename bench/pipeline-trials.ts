/**
 * bench/pipeline.ts's trials: the pre-built command stream, and one run of each configuration
 * (bare engine, embedded runtime with or without fsync and replay, worker host, paced latency, ring).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { EngineClock } from "../actors/clock.ts";
import { type BourseConfig, loadConfig, seedCommands } from "../app/config.ts";
import { LoadStream } from "../cli/demo-load.ts";
import { recover, stateHash } from "../actors/recovery.ts";
import { Runtime } from "../actors/runtime.ts";
import { WorkerHost } from "../actors/worker-host.ts";
import { Command } from "../engine/commands.ts";
import { EventBuffer } from "../engine/events.ts";
import { Exchange } from "../engine/exchange.ts";
import { median, type Percentiles, summarize } from "./kit/histogram.ts";
import { burstRun, type PacedRun, pacedRun, Tally } from "./pipeline-drive.ts";
import { log } from "./kit/args.ts";

import { type Options, gc, runtimeLog } from "./pipeline-options.ts";

// ---------------------------------------------------------------- the stream

export interface Stream {
  config: BourseConfig;
  /** Seed commands, then warm-up, then the timed commands. */
  cmds: Command[];
  seeds: number;
  /** Timed part: cmds[from, to). */
  from: number;
  to: number;
}

export function buildStream(o: Options): Stream {
  const config = structuredClone(loadConfig(join(import.meta.dir, "../config/demo.json")));
  // The rate limiter is the one rule this stream meets whose outcome depends on engine time, i.e.
  // on how fast the configuration under test runs: left on, a faster configuration gets more
  // RATE_LIMITED rejects and so does less work per command. Off, every configuration executes the
  // same decisions (checked: identical event counts).
  if (!o.keepRateLimits) for (const t of config.exchange.tiers ?? []) t.rateCount = 0;
  const seeds = seedCommands(config);
  const accounts = (config.accounts ?? []).map((a) => a.id);
  // Order ids above every sequence number the run will reach before them (as `bourse start` does).
  const load = new LoadStream(config.exchange, accounts, o.seed, seeds.length + 1);
  const cmds = [...seeds];
  for (let i = 0; i < o.warmup + o.commands; i++) cmds.push(load.next(new Command()));
  return { config, cmds, seeds: seeds.length, from: seeds.length + o.warmup, to: cmds.length };
}

// ---------------------------------------------------------------- the configurations

export interface Trial {
  opsPerS: number;
  /** Timed commands per synchronous run of deliveries on the main thread. */
  perWakeup: number;
  /** Process CPU time (every thread, user + system) / wall time over the timed part. */
  cores: number;
  tally: Tally;
  /** fdatasyncs on the syncer thread over the timed part (0: not known, workers 1, or fsync off). */
  syncs: number;
}

/** CPU time of the whole process (all threads) in ns, and wall time in ns. */
export function clocks(): { cpu: number; wall: number } {
  const c = process.cpuUsage();
  return { cpu: (c.user + c.system) * 1e3, wall: Bun.nanoseconds() };
}

export function coresSince(c0: { cpu: number; wall: number }): number {
  const c1 = clocks();
  return (c1.cpu - c0.cpu) / (c1.wall - c0.wall);
}

/**
 * The engine alone: a copy of each command (risk may write into it), stamped, executed. Stamped
 * as the sequencer stamps: one clock reading per `burst` commands (the runtime's batch here).
 */
export function bareTrial(s: Stream, burst: number): Trial {
  const ex = new Exchange(s.config.exchange);
  const out = new EventBuffer(4096);
  const clock = new EngineClock();
  const cmd = new Command();
  const tally = new Tally();
  let time = 0;
  for (let i = 0; i < s.from; i++) {
    cmd.copyFrom(s.cmds[i]!);
    if (i % burst === 0) time = clock.now();
    cmd.time = time;
    out.reset();
    ex.execute(cmd, out);
  }
  gc();
  const c0 = clocks();
  for (let i = s.from; i < s.to; i++) {
    cmd.copyFrom(s.cmds[i]!);
    if ((i - s.from) % burst === 0) time = clock.now();
    cmd.time = time;
    out.reset();
    ex.execute(cmd, out);
    tally.add(out, 0, out.count);
  }
  const ns = Bun.nanoseconds() - c0.wall;
  return { opsPerS: ((s.to - s.from) * 1e9) / ns, perWakeup: 1, cores: coresSince(c0), tally, syncs: 0 };
}

export function dataDir(o: Options): string {
  return mkdtempSync(join(o.dir, "bourse-pipeline-"));
}

export interface ReplayResult {
  opsPerS: number;
  replayed: number;
  /** Replayed state = live state (checked in the first trial only; null when not checked). */
  sameState: boolean | null;
  /** One stateHash of the live end state, ms (what hashes.log costs per entry at this size). */
  hashMs: number | null;
}

export interface EmbeddedResult extends Trial {
  replay?: ReplayResult;
}

export async function embeddedTrial(s: Stream, o: Options, fsync: boolean, replay: boolean, checkState: boolean): Promise<EmbeddedResult> {
  const dir = dataDir(o);
  let open: Runtime | null = null;
  try {
    const rt = Runtime.start({ config: s.config.exchange, dataDir: dir, fsync, hashEvery: o.hashEvery, snapshotEvery: o.snapshotEvery, log: runtimeLog });
    open = rt;
    await burstRun(rt, s.cmds, 0, s.from, o.burst);
    gc();
    const tally = new Tally();
    const c0 = clocks();
    const syncs0 = rt.syncs;
    const r = await burstRun(rt, s.cmds, s.from, s.to, o.burst, tally);
    const result: EmbeddedResult = { opsPerS: ((s.to - s.from) * 1e9) / r.ns, perWakeup: (s.to - s.from) / r.wakeups, cores: coresSince(c0), tally, syncs: rt.syncs - syncs0 };
    let live: string | null = null;
    let hashMs: number | null = null;
    if (replay && checkState) {
      const h0 = performance.now();
      live = stateHash(rt.exchange);
      hashMs = performance.now() - h0;
    }
    open = null;
    rt.close();
    if (replay) {
      gc();
      const t0 = Bun.nanoseconds();
      const rec = recover({ dataDir: dir, config: s.config.exchange, readOnly: true, ignoreSnapshots: true });
      const ns = Bun.nanoseconds() - t0;
      result.replay = {
        opsPerS: (rec.replayed * 1e9) / ns,
        replayed: rec.replayed,
        sameState: live === null ? null : stateHash(rec.exchange) === live,
        hashMs,
      };
    }
    return result;
  } finally {
    open?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function workerTrial(s: Stream, o: Options, fsync: boolean): Promise<Trial> {
  const dir = dataDir(o);
  let h: WorkerHost | null = null;
  try {
    h = await WorkerHost.start({ config: s.config.exchange, dataDir: dir, fsync, hashEvery: o.hashEvery, snapshotEvery: o.snapshotEvery, log: runtimeLog });
    await burstRun(h, s.cmds, 0, s.from, o.burst);
    gc();
    const tally = new Tally();
    const c0 = clocks();
    const r = await burstRun(h, s.cmds, s.from, s.to, o.burst, tally);
    return { opsPerS: ((s.to - s.from) * 1e9) / r.ns, perWakeup: (s.to - s.from) / r.wakeups, cores: coresSince(c0), tally, syncs: 0 };
  } finally {
    if (h && !h.stopped) await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Latency {
  runs: PacedRun[];
  /** Over every command of every round. */
  lat: Percentiles;
  lag: Percentiles;
  /** Delivery − the actual submit call (leaves out how late the driver itself was). */
  fromSubmit: Percentiles;
  /** Each round's own p99 (ns), to show the spread. */
  roundP99: number[];
  achieved: number;
}

export function mergeRuns(runs: PacedRun[]): Latency {
  const n = runs.reduce((a, r) => a + r.count, 0);
  const lat = new Float64Array(n);
  const lag = new Float64Array(n);
  let at = 0;
  for (const r of runs) {
    lat.set(r.latency, at);
    lag.set(r.lag, at);
    at += r.count;
  }
  const fromSubmit = new Float64Array(n);
  for (let i = 0; i < n; i++) fromSubmit[i] = lat[i]! - lag[i]!;
  return {
    runs,
    lat: summarize(lat),
    lag: summarize(lag),
    fromSubmit: summarize(fromSubmit),
    roundP99: runs.map((r) => summarize(r.latency).p99),
    achieved: median(runs.map((r) => r.achieved)),
  };
}

/** One paced round on a fresh data directory: seed and warm-up in bursts, then the open-loop run. */
export async function pacedTrial(s: Stream, o: Options, workers: 0 | 1, rate: number, count: number): Promise<PacedRun> {
  const dir = dataDir(o);
  const opts = { config: s.config.exchange, dataDir: dir, fsync: true, hashEvery: o.hashEvery, snapshotEvery: o.snapshotEvery, log: runtimeLog };
  const seq = workers === 0 ? Runtime.start(opts) : await WorkerHost.start(opts);
  try {
    await burstRun(seq, s.cmds, 0, s.from, o.burst);
    gc();
    return await pacedRun(seq, s.cmds, s.from, count, rate, o.pace);
  } finally {
    if (!seq.stopped) await seq.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RingFigure {
  b1: number;
  b64: number;
}

/** bench/ring.ts in a child process (it starts its own two workers), 256-byte rows only. */
export async function ringRate(o: Options): Promise<RingFigure | null> {
  const args = o.long ? ["--json"] : ["--seconds", "0.5", "--trials", "1", "--json"];
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "ring.ts"), ...args], { stdout: "pipe", stderr: "pipe" });
  const [text, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) {
    log(`WARNING bench/ring.ts exited with ${code}: ${err.trim().split("\n").pop()}`);
    return null;
  }
  const last = text.trim().split("\n").pop()!;
  const j = JSON.parse(last) as Record<string, number>;
  return { b1: j.ring_msgs_per_s_256!, b64: j.ring_msgs_per_s_256_b64! };
}
