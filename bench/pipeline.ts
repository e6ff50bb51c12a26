/**
 * Pipeline benchmark: what the runtime around the engine costs — sequencer, journal (group commit,
 * fdatasync pipelined on the syncer thread), delivery — embedded (workers 0) and in a Bun worker
 * (workers 1), against the bare engine loop on the same commands; the journal's replay rate; the
 * raw ring rate.
 *
 *   bun run bench/pipeline.ts [--commands N] [--warmup W] [--burst B] [--trials T] [--seed S]
 *                             [--rate OPS_PER_S] [--paced-seconds S] [--latency-rounds R]
 *                             [--pace tick|spin] [--no-fsync-off] [--no-ring] [--keep-rate-limits]
 *                             [--hash-every N] [--snapshot-every N] [--dir BASE] [--json] [--long]
 *
 * One pre-built command stream (seed commands of config/demo.json, then LoadStream over its 4
 * accounts) is used by every configuration; each runtime configuration gets a fresh data
 * directory, removed afterwards. Every run executes the seed and the first W commands untimed
 * (also the worker's JIT warm-up), then times the next N:
 *   1. bare: Exchange.execute in a loop (a copy of each command, stamped by an EngineClock once per
 *      B commands, as the sequencer stamps a batch);
 *   2. workers 0 (embedded Runtime), fsync on: B commands submitted per turn of the event loop,
 *      the Runtime's setImmediate flush makes each turn one batch (one write; its fdatasync runs on
 *      the syncer thread while the next turns' batches are written, one sync covering all of
 *      them); time = first submit → last delivery;
 *   3. workers 1 (WorkerHost), fsync on, driven the same way;
 *   4. both with fsync off (not durable: no syncer; shows what durability still costs);
 *   5. replay: recover({ readOnly, ignoreSnapshots }) of each journal written in (2);
 *   6. the raw ring rate between two threads (bench/ring.ts, spawned briefly, 256-byte slots);
 *   7. delivery latency of workers 0 and 1, open loop at a fixed offered rate (half the lower of
 *      the two fsync-on maxima unless --rate), send times scheduled in advance, in alternating
 *      rounds on fresh data dirs; the driver wakes on a ~1 ms timer and sends what is due (--pace
 *      spin turns the loop with setImmediate instead: exact send times, but a busy main thread
 *      that starves workers 1's engine thread on a 2-core host).
 * Configurations 1–4 take turns within each trial, the order rotating, so the host's load drifts
 * over all of them alike. Progress goes to stderr; with --json the last line of stdout is one
 * JSON object.
 */
import { cpus, loadavg } from "node:os";
import { EventType } from "../engine/events.ts";
import { median } from "./kit/histogram.ts";
import { type PacedRun } from "./pipeline-drive.ts";
import { log } from "./kit/args.ts";
import { int, table } from "./kit/report.ts";
import { parseArgs, gc } from "./pipeline-options.ts";
import { buildStream, type Trial, bareTrial, type ReplayResult, embeddedTrial, workerTrial, type Latency, mergeRuns, pacedTrial, type RingFigure, ringRate } from "./pipeline-trials.ts";

// ---------------------------------------------------------------- formatting

const kops = (x: number) => (x / 1e3).toFixed(0);
const fix = (x: number, d: number) => x.toFixed(d);
const us = (ns: number) => (ns / 1e3).toFixed(ns < 10_000 ? 1 : 0);

interface Summary {
  name: string;
  trials: number[];
  median: number;
  perWakeup: number;
  cores: number;
  /** Median fdatasyncs per timed part (0: not known), and timed commands per fdatasync. */
  syncs: number;
  perSync: number;
}

function summarise(name: string, ts: Trial[], commands: number): Summary {
  const rates = ts.map((t) => t.opsPerS);
  const syncs = median(ts.map((t) => t.syncs));
  return { name, trials: rates, median: median(rates), perWakeup: median(ts.map((t) => t.perWakeup)), cores: median(ts.map((t) => t.cores)), syncs, perSync: syncs > 0 ? commands / syncs : 0 };
}

// ---------------------------------------------------------------- main

type Config = "bare" | "w0" | "w1" | "w0off" | "w1off";

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const wall0 = performance.now();
  const load0 = loadavg()[0]!;

  log(`building the stream: ${int(o.warmup)} warm-up + ${int(o.commands)} timed LoadStream commands, seed ${o.seed}`);
  const s = buildStream(o);

  // Warm the main thread's JIT on both loops before anything is timed.
  log("warm-up: bare engine, then workers 0 with fsync off");
  bareTrial(s, o.burst);
  await embeddedTrial(s, o, false, false, false);

  const configs: Config[] = o.fsyncOff ? ["bare", "w0", "w1", "w0off", "w1off"] : ["bare", "w0", "w1"];
  const results: Record<Config, Trial[]> = { bare: [], w0: [], w1: [], w0off: [], w1off: [] };
  const replays: ReplayResult[] = [];
  for (let t = 0; t < o.trials; t++) {
    const order = configs.map((_, k) => configs[(k + t) % configs.length]!);
    log(`trial ${t + 1}/${o.trials}: ${order.join(", ")}`);
    for (const c of order) {
      gc();
      switch (c) {
        case "bare": results.bare.push(bareTrial(s, o.burst)); break;
        case "w0": {
          const r = await embeddedTrial(s, o, true, true, t === 0);
          results.w0.push(r);
          replays.push(r.replay!);
          break;
        }
        case "w1": results.w1.push(await workerTrial(s, o, true)); break;
        case "w0off": results.w0off.push(await embeddedTrial(s, o, false, false, false)); break;
        case "w1off": results.w1off.push(await workerTrial(s, o, false)); break;
      }
    }
  }

  const bare = summarise("bare engine: Exchange.execute loop", results.bare, s.to - s.from);
  const w0 = summarise("workers 0 (embedded), fsync on", results.w0, s.to - s.from);
  const w1 = summarise("workers 1 (engine in a worker), fsync on", results.w1, s.to - s.from);
  const w0off = o.fsyncOff ? summarise("workers 0, fsync OFF (not durable)", results.w0off, s.to - s.from) : null;
  const w1off = o.fsyncOff ? summarise("workers 1, fsync OFF (not durable)", results.w1off, s.to - s.from) : null;
  // Workers 0 and 1 ran seconds apart in every trial: their ratio trial by trial is the paired
  // comparison, less exposed to the host's drift than the ratio of medians.
  const pairs = results.w1.map((x, t) => x.opsPerS / results.w0[t]!.opsPerS);
  const replayRates = replays.map((r) => r.opsPerS);
  const replay = median(replayRates);
  const replayRatio = replay / w0.median;
  const sameState = replays[0]!.sameState;
  const hashMs = replays[0]!.hashMs!;

  // Same work everywhere: every configuration's every trial must have delivered the same events.
  const ref = results.bare[0]!.tally;
  const all = [...results.bare, ...results.w0, ...results.w1, ...results.w0off, ...results.w1off];
  const sameWork = all.every((x) => x.tally.same(ref));
  if (!sameWork) {
    log(o.keepRateLimits
      ? "note: configurations delivered different events, as expected with the rate limits on (a faster run is rate-limited more)"
      : "WARNING: configurations delivered different events with the rate limits off: something time- or thread-dependent changed the engine's decisions");
  }

  // Latency: one offered rate for both, below both measured maxima.
  const rate = o.rate > 0 ? o.rate : Math.round(Math.min(w0.median, w1.median) / 2 / 1000) * 1000;
  const count = Math.max(1, Math.min(o.commands, Math.round(rate * o.pacedSeconds)));
  const runs0: PacedRun[] = [];
  const runs1: PacedRun[] = [];
  for (let k = 0; k < o.latencyRounds; k++) {
    log(`latency round ${k + 1}/${o.latencyRounds}: ${int(count)} commands at ${int(rate)} ops/s, open loop, workers ${k % 2 === 0 ? "0 then 1" : "1 then 0"}`);
    for (const w of k % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
      gc();
      (w === 0 ? runs0 : runs1).push(await pacedTrial(s, o, w, rate, count));
    }
  }
  const lat0 = mergeRuns(runs0);
  const lat1 = mergeRuns(runs1);

  let ring: RingFigure | null = null;
  if (o.ring) {
    log("ring pass-through: bench/ring.ts, briefly");
    ring = await ringRate(o);
  }
  const wall = (performance.now() - wall0) / 1000;

  // ---------------------------------------------------------------- report
  const n = s.to - s.from;
  const k = ref.byType;
  const rejectedShare = k[EventType.REJECTED]! / n;
  const trades = k[EventType.TRADE]! / n;
  console.log(
    `pipeline: ${int(n)} timed LoadStream commands (seed ${o.seed}) over config/demo.json's ${(s.config.accounts ?? []).length} accounts, ` +
      `after ${s.seeds} seed + ${int(o.warmup)} warm-up commands, untimed, in every run; ${o.keepRateLimits ? "tier rate limits as configured" : "tier rate limits off (rateCount 0)"}; ` +
      `hashes.log every ${o.hashEvery || "— (off)"}, snapshots every ${o.snapshotEvery || "— (off)"}; ${o.trials} trial${o.trials === 1 ? "" : "s"}, median; ` +
      `${cpus().length} CPUs, load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}; data dirs in ${o.dir}; Bun ${Bun.version}`,
  );
  console.log(
    `per command: ${(rejectedShare * 100).toFixed(0)}% rejected, ${trades.toFixed(2)} trades, ${(k.reduce((a, b) => a + b, 0) / n).toFixed(1)} events; ` +
      `every run delivered the same events: ${sameWork ? "yes" : "NO"}`,
  );
  console.log("");
  console.log(`throughput (runtime rows: ${o.burst} commands submitted per event-loop turn; time = first submit → last delivery)`);
  const rows: Summary[] = [bare, w0, w1, ...(w0off ? [w0off] : []), ...(w1off ? [w1off] : [])];
  console.log(
    table(
      ["configuration", "ops/s", "vs bare", "µs/cmd", "cmds/wake-up", "CPU cores", "trials (k ops/s)"],
      rows.map((r) => [r.name, int(r.median), fix(r.median / bare.median, 3), fix(1e6 / r.median, 2), r === bare ? "—" : fix(r.perWakeup, 0), fix(r.cores, 2), r.trials.map(kops).join(" ")]),
    ),
  );
  console.log(`workers 1 / workers 0, fsync on, trial by trial (paired): ${pairs.map((x) => fix(x, 2)).join(" ")}`);
  console.log("CPU cores = CPU time of the whole process (every thread) / wall time over the timed part, median: how much of the 2 cores a configuration got.");
  console.log("");
  console.log(
    `replay (recover readOnly, ignoreSnapshots, ${int(replays[0]!.replayed)} commands incl. open + CRC scan, page cache warm): ` +
      `${int(replay)} ops/s (${replayRates.map(kops).join(" ")} k), ${fix(replayRatio, 2)}× the live rate of workers 0 fsync on; ` +
      `replayed state = live state: ${sameState === null ? "not checked" : sameState ? "yes" : "NO"}`,
  );
  if (ring) console.log(`ring pass-through (bench/ring.ts, 256-byte slots, worker → worker): ${int(ring.b1)} msgs/s publishing each message, ${int(ring.b64)} msgs/s in batches of 64`);
  console.log(
    `one stateHash of the end state (what hashes.log does every --hash-every commands, 10,000 by default in the Runtime): ${fix(hashMs, 0)} ms, ` +
      `i.e. ${fix((hashMs * 1e3) / 10_000, 1)} µs per command at the default interval (workers 0 fsync on spends ${fix(1e6 / w0.median, 1)} µs per command in all)`,
  );
  console.log("");
  console.log(`delivery latency, µs: open loop at ${int(rate)} ops/s offered (${o.rate > 0 ? "--rate" : "half the lower fsync-on maximum"}), ${int(count)} commands per round, fsync on, ${o.latencyRounds} round${o.latencyRounds === 1 ? "" : "s"} each on fresh data dirs, alternating, merged; latency = delivery − scheduled send time`);
  const latRow = (name: string, l: Latency) => {
    const p = l.lat;
    return [name, int(l.achieved), us(p.p50), us(p.p90), us(p.p99), us(p.p99_9), us(p.p99_99), us(p.max), us(p.mean), l.roundP99.map(us).join(" "), us(l.fromSubmit.p50), us(l.fromSubmit.p99), us(l.lag.p99)];
  };
  console.log(
    table(
      ["configuration", "achieved/s", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean", "p99 per round", "from call p50", "from call p99", "send lag p99"],
      [latRow("workers 0", lat0), latRow("workers 1", lat1)],
    ),
  );
  console.log(
    `pacing: ${o.pace === "spin" ? "spin (setImmediate: sends on time, but the main thread never sleeps — a core workers 1's engine thread then competes for)" : "tick (a setTimeout wake-up, ~1.1 ms apart in Bun, sends what fell due meanwhile as one burst, as packets reach a gateway; the main thread sleeps in between, so send lag includes up to a tick)"}. ` +
      "from call = delivery − the actual submit call; send lag = how late that call was (a turn blocked in a flush sends what fell due meanwhile, late).",
  );
  console.log("");

  const verdict = decide(w0, w1, pairs, bare, w0off, w1off, lat0, lat1);
  console.log(verdict.text);

  if (o.json) {
    const r = Math.round;
    const json = {
      ops_per_s_bare: r(bare.median),
      ops_per_s_workers0: r(w0.median),
      ops_per_s_workers1: r(w1.median),
      ops_per_s_workers0_fsync_off: w0off ? r(w0off.median) : null,
      ops_per_s_workers1_fsync_off: w1off ? r(w1off.median) : null,
      ratio_vs_bare_engine: +(w0.median / bare.median).toFixed(4),
      ratio_vs_bare_engine_workers1: +(w1.median / bare.median).toFixed(4),
      ratio_workers1_vs_workers0: +(w1.median / w0.median).toFixed(3),
      ratio_workers1_vs_workers0_trials: pairs.map((x) => +x.toFixed(3)),
      replay_ops_per_s: r(replay),
      replay_ratio_vs_live: +replayRatio.toFixed(3),
      replay_same_state: sameState,
      ring_msgs_per_s_256: ring ? ring.b1 : null,
      ring_msgs_per_s_256_b64: ring ? ring.b64 : null,
      latency_offered_ops_per_s: rate,
      latency_commands: count,
      latency_p50_ns_workers0: lat0.lat.p50,
      latency_p90_ns_workers0: lat0.lat.p90,
      latency_p99_ns_workers0: lat0.lat.p99,
      latency_p999_ns_workers0: lat0.lat.p99_9,
      latency_max_ns_workers0: lat0.lat.max,
      latency_p50_ns_workers1: lat1.lat.p50,
      latency_p90_ns_workers1: lat1.lat.p90,
      latency_p99_ns_workers1: lat1.lat.p99,
      latency_p999_ns_workers1: lat1.lat.p99_9,
      latency_max_ns_workers1: lat1.lat.max,
      latency_from_call_p50_ns_workers0: lat0.fromSubmit.p50,
      latency_from_call_p99_ns_workers0: lat0.fromSubmit.p99,
      latency_from_call_p50_ns_workers1: lat1.fromSubmit.p50,
      latency_from_call_p99_ns_workers1: lat1.fromSubmit.p99,
      latency_pace: o.pace,
      latency_achieved_ops_per_s_workers0: r(lat0.achieved),
      latency_achieved_ops_per_s_workers1: r(lat1.achieved),
      latency_rounds: o.latencyRounds,
      latency_p99_ns_workers0_rounds: lat0.roundP99,
      latency_p99_ns_workers1_rounds: lat1.roundP99,
      favours_workers: verdict.workers,
      burst: o.burst,
      commands: n,
      warmup: o.warmup,
      trials: o.trials,
      seed: o.seed,
      rate_limits: o.keepRateLimits,
      hash_every: o.hashEvery,
      snapshot_every: o.snapshotEvery,
      same_work: sameWork,
      rejected_share: +rejectedShare.toFixed(4),
      state_hash_ms: r(hashMs),
      per_wakeup_workers1: +w1.perWakeup.toFixed(1),
      commands_per_fsync_workers0: +w0.perSync.toFixed(1),
      cpu_cores_workers0: +w0.cores.toFixed(2),
      cpu_cores_workers1: +w1.cores.toFixed(2),
      cpu_cores_workers1_fsync_off: w1off ? +w1off.cores.toFixed(2) : null,
      ops_per_s_bare_trials: results.bare.map((x) => r(x.opsPerS)),
      ops_per_s_workers0_trials: results.w0.map((x) => r(x.opsPerS)),
      ops_per_s_workers1_trials: results.w1.map((x) => r(x.opsPerS)),
      load_average: +load0.toFixed(2),
      bun: Bun.version,
      wall_s: +wall.toFixed(1),
    };
    console.log(JSON.stringify(json));
  }
  if ((!sameWork && !o.keepRateLimits) || sameState === false) process.exitCode = 1;
}

/**
 * Which default the figures favour. Workers 1 counts as faster (slower) only if it beat (lost to)
 * workers 0 in every paired trial and by more than 10% at the median; otherwise throughput is
 * within this host's noise. Latency at equal offered load is worse past 1.5× at p50, or at p99 if
 * every round agrees; better under 0.67× at p99 in every round with p50 no worse. Faster and not
 * worse → 1; faster but worse → 0 (narrowly); slower → 0; else better latency → 1; else 0, the
 * simpler thread that spends less CPU per command. The reasons are read off the rows: how much of
 * a durable command is the engine and how much the fdatasync wait, whether workers 1 wins without
 * fsync too, and how many cores it got.
 */
function decide(w0: Summary, w1: Summary, pairs: number[], bare: Summary, w0off: Summary | null, w1off: Summary | null, l0: Latency, l1: Latency): { workers: 0 | 1; text: string } {
  const thr = w1.median / w0.median;
  const faster = pairs.every((x) => x > 1) && thr > 1.1;
  const slower = pairs.every((x) => x < 1) && thr < 0.9;
  const p50 = l1.lat.p50 / l0.lat.p50;
  const p99 = l1.lat.p99 / l0.lat.p99;
  // A p99 counts only if every round agrees: one host stall in one round moves a p99 by 10×.
  const roundsWorse = Math.min(...l1.roundP99) > Math.max(...l0.roundP99);
  const roundsBetter = Math.max(...l1.roundP99) < Math.min(...l0.roundP99);
  const worse = p50 > 1.5 || (p99 > 1.5 && roundsWorse);
  const better = p50 <= 1 && p99 < 0.67 && roundsBetter;
  const engineUs = 1e6 / bare.median;
  const w0Us = 1e6 / w0.median;
  const o = (x: number) => fix(x, 0);
  /** CPU µs per command: CPU cores used × µs per command. */
  const cpuUs = (x: Summary) => (x.cores * 1e6) / x.median;
  const cpu = w0off && w1off ? `CPU per command ${fix(cpuUs(w0off), 2)} µs embedded against ${fix(cpuUs(w1off), 2)} µs in a worker, fsync off` : `CPU per command ${fix(cpuUs(w0), 2)} µs embedded against ${fix(cpuUs(w1), 2)} µs in a worker`;
  const why: string[] = [];
  let cost = `a durable command costs ${fix(w0Us, 2)} µs embedded, of which the engine is ${fix(engineUs, 2)} µs`;
  if (w0off) {
    const fsyncUs = w0Us - 1e6 / w0off.median;
    cost +=
      `; fsync on costs ${fsyncUs >= 0 ? `${fix(fsyncUs, 2)} µs more` : `${fix(-fsyncUs, 2)} µs less (noise)`} than fsync off (${fix((100 * fsyncUs) / w0Us, 0)}%): ` +
      `the fdatasync runs on the syncer thread while the engine thread goes on with the next batches, so the rest (${fix(w0Us - engineUs, 2)} µs) is encoding, CRC, the write and delivery` +
      (w0.syncs > 0 ? ` (${fix(w0.perSync, 0)} commands per fdatasync)` : "");
  }
  why.push(cost);
  if (w0off && w1off) {
    const off = w1off.median / w0off.median;
    if (off < 0.9 && thr > 1.1) {
      why.push(
        `the gain of workers 1 shows only with fsync on: its batches are larger (deliveries arrive ~${fix(w1.perWakeup, 0)} per main-thread wake-up, against bursts of ${o(w0.perWakeup)} embedded), ` +
          `while without fsync the ring hop (encode, decode, copy on both threads) is a net loss, workers 1 at ${fix(off, 2)}× workers 0 (${cpu}). ` +
          `The paced rows, where both see the same arrivals, are the comparison at equal load`,
      );
    } else if (off < 0.9) {
      why.push(`the ring hop (encode, decode, copy on both threads) costs more than running the engine beside the main thread gains (the fdatasync is off both engine threads either way): without fsync workers 1 runs at ${fix(off, 2)}× workers 0 (${cpu}; deliveries ~${fix(w1.perWakeup, 0)} per main-thread wake-up, against bursts of ${o(w0.perWakeup)} embedded)`);
    } else {
      why.push(`workers 1 keeps up even without fsync (${fix(off, 2)}× workers 0): the main thread's submit and delivery work overlaps the engine's`);
    }
  } else {
    why.push(`workers 1 delivers ~${fix(w1.perWakeup, 0)} commands per main-thread wake-up against bursts of ${o(w0.perWakeup)} embedded`);
  }
  if (w1off && w1off.cores < 1.3) {
    why.push(
      `workers 1 got ${fix(w1.cores, 2)} cores of CPU time with fsync on and ${fix(w1off.cores, 2)} with it off (workers 0: ${fix(w0.cores, 2)}): its two busy threads, the main thread encoding and decoding and the engine thread, ` +
        `wanted two cores and the host's other load left it about ${fix(w1off.cores, 1)}, so they partly took turns on one`,
    );
  }
  const spread = (x: Summary) => Math.max(...x.trials) / Math.min(...x.trials);
  const s0 = spread(w0);
  const s1 = spread(w1);
  why.push(
    `trial to trial, workers 0 spread ${fix(s0, 2)}× (max / min) and workers 1 ${fix(s1, 2)}×` +
      (s1 > 1.15 * s0 ? ": workers 1 is the less predictable here, as it needs both cores of a host whose neighbours take one now and then" : s0 > 1.15 * s1 ? ": workers 0 is the less predictable here" : ""),
  );
  const d50 = (l1.lat.p50 - l0.lat.p50) / 1e3;
  // A p50 of several group commits means commands queued: that configuration had little headroom at this rate.
  const queued = [l0, l1].map((l, w) => (l.lat.p50 > 5e6 ? `workers ${w}` : "")).filter((x) => x);
  why.push(
    `at equal offered load workers 1's p50 is ${d50 >= 0 ? `${fix(d50, 0)} µs later` : `${fix(-d50, 0)} µs sooner`} (${fix(p50, 2)}×), its p99 ${fix(p99, 2)}×` +
      (roundsWorse ? " (worse in every round)" : roundsBetter ? " (better in every round)" : " (the rounds disagree)") +
      (queued.length > 0
        ? ` — ${queued.join(" and ")} queued (p50 over 5 ms): little headroom at this rate on this run, while the host was busy`
        : " — both mostly the fdatasync of each group commit plus the host's stalls"),
  );
  let workers: 0 | 1;
  let head: string;
  const range = `${fix(Math.min(...pairs), 2)}–${fix(Math.max(...pairs), 2)}× trial by trial`;
  if (faster && !worse) {
    workers = 1;
    head = `favour workers 1: ${fix(thr, 2)}× the durable throughput of workers 0 (${range}), with latency at equal load not clearly worse`;
  } else if (faster) {
    workers = 0;
    head = `favour workers 0, narrowly: workers 1 has ${fix(thr, 2)}× the durable throughput in a flood (${range}), but at equal offered load its latency is clearly worse (p50 ${fix(p50, 2)}×, p99 ${fix(p99, 2)}×), and a default should not trade latency for a flood's throughput`;
  } else if (slower) {
    workers = 0;
    head = `favour workers 0: workers 1 reaches only ${fix(thr, 2)}× its durable throughput (${range})`;
  } else if (better) {
    workers = 1;
    head = `favour workers 1: throughput within noise (${fix(thr, 2)}×, ${range}) but clearly lower latency`;
  } else if (worse) {
    workers = 0;
    head = `favour workers 0: throughput within noise (workers 1 at ${fix(thr, 2)}×, ${range}) and workers 1's latency at equal load clearly worse (p50 ${fix(p50, 2)}×, p99 ${fix(p99, 2)}×)`;
  } else {
    workers = 0;
    head = `favour workers 0: throughput within noise (workers 1 at ${fix(thr, 2)}×, ${range}) and latency not clearly better, so the simpler single thread (no ring hop; ${cpu})`;
  }
  return { workers, text: `Verdict: on this machine the figures ${head}.\nWhy: ${why.join(";\n  ")}.` };
}

await main();
