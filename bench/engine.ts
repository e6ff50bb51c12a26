/**
 * Matching engine benchmark: our MatchingEngine against nodejs-order-book on two seeded streams.
 *
 *   bun run bench/engine.ts [--ops N] [--seed S] [--trials T] [--json] [--long]
 *                           [--paced-ops N] [--rate OPS_PER_S] [--segments K] [--no-peer]
 *                           [--full-trials T] [--no-full-path]
 *
 * Phases, each on a fresh engine / book (the first `prefill` ops that build the book always run
 * untimed first):
 *   1. generate both streams up front (typed arrays; no generation in any timed loop);
 *   2. verify: run each stream once through both and check them against the generator's model
 *      (no rejects, same trades, same final book); this pass also warms the JIT;
 *   3. throughput: one more warm-up pass, then T timed trials per stream; median ops/s;
 *   4. per-op latency: a separate pass timing every op (Bun.nanoseconds around execute);
 *   5. paced: the exchange mix offered at a fixed rate (1M ops/s) on a schedule fixed in advance
 *      (open loop; latency = completion − scheduled send time), then the same schedule with a
 *      fixed-cost spin in place of the engine, to show the machine's own tail;
 *   6. full path (full.ts): both streams through Exchange.execute (R1 risk → book → R2
 *      settlement) over the stream's 1,000 accounts, funded untimed, alternating trial by trial
 *      with the bare MatchingEngine on the same instrument ("book alone"); verified to print the
 *      same trades with no rejects; then a per-op latency pass of the full path. Last, so that
 *      phases 2–5 run before any Exchange code has touched the JIT's profiles.
 * With --json the last line of output is one JSON object with the figures.
 */
import { cpus } from "node:os";
import { median, type Percentiles, summarize, timerOverhead } from "./kit/histogram.ts";
import { type FullCheck, type Funding, FullRunner, fundingFor, newBook, newExchange, verifyFull } from "./full.ts";
import { idStrings, NobRunner, verifyNob } from "./nob.ts";
import { newEngine, OursRunner, verifyOurs } from "./ours.ts";
import type { MatchingEngine } from "../engine/matching.ts";
import { ACCOUNTS, exchangeMix, OP_NAMES, simpleMix, type Stream } from "./streams.ts";
import { log, parseFlags } from "./kit/args.ts";
import { int, table } from "./kit/report.ts";

interface Options {
  ops: number;
  seed: number;
  trials: number;
  peerTrials: number;
  json: boolean;
  long: boolean;
  pacedOps: number;
  rate: number;
  segments: number;
  peer: boolean;
  fullPath: boolean;
  fullTrials: number;
}

function parseArgs(argv: string[]): Options {
  const long = argv.includes("--long");
  const o: Options = {
    ops: long ? 3_000_000 : 1_000_000,
    seed: 1,
    trials: long ? 7 : 5,
    peerTrials: long ? 3 : 1,
    json: false,
    long,
    pacedOps: long ? 10_000_000 : 2_000_000,
    rate: 1_000_000,
    segments: 5,
    peer: true,
    fullPath: true,
    fullTrials: long ? 5 : 3,
  };
  parseFlags(argv, "usage: bun run bench/engine.ts [--ops N] [--seed S] [--trials T] [--peer-trials T] [--json] [--long] [--paced-ops N] [--rate OPS_PER_S] [--segments K] [--no-peer] [--full-trials T] [--no-full-path]", {
    "--ops": (v) => (o.ops = Math.floor(v.num())),
    "--seed": (v) => (o.seed = Math.floor(v.num())),
    "--trials": (v) => (o.trials = Math.max(1, Math.floor(v.num()))),
    "--peer-trials": (v) => (o.peerTrials = Math.max(1, Math.floor(v.num()))),
    "--paced-ops": (v) => (o.pacedOps = Math.floor(v.num())),
    "--rate": (v) => (o.rate = v.num()),
    "--segments": (v) => (o.segments = Math.max(1, Math.floor(v.num()))),
    "--json": () => (o.json = true),
    "--long": () => {},
    "--no-peer": () => (o.peer = false),
    "--no-full-path": () => (o.fullPath = false),
    "--full-trials": (v) => (o.fullTrials = Math.max(1, Math.floor(v.num()))),
  });
  if (o.ops < 1) throw new Error("--ops must be at least 1");
  return o;
}

const gc = () => Bun.gc(true);

interface Throughput {
  trials: number[];
  median: number;
  best: number;
}

function rateOf(rates: number[]): Throughput {
  return { trials: rates, median: median(rates), best: Math.max(...rates) };
}

/** One timed trial on a fresh engine `eng`: untimed prefill, timed measured part. Returns ops/s. */
function timedTrial(r: OursRunner, s: Stream, eng: MatchingEngine): number {
  r.run(eng, s, 0, s.prefill);
  gc();
  const t0 = Bun.nanoseconds();
  r.run(eng, s, s.prefill, s.length);
  return ((s.length - s.prefill) * 1e9) / (Bun.nanoseconds() - t0);
}

/** One timed trial of ours. */
const trialOurs = (r: OursRunner, s: Stream): number => timedTrial(r, s, newEngine());

function trialNob(s: Stream, ids: string[]): number {
  const r = new NobRunner(ids);
  r.run(s, 0, s.prefill);
  gc();
  const t0 = Bun.nanoseconds();
  r.run(s, s.prefill, s.length);
  return ((s.length - s.prefill) * 1e9) / (Bun.nanoseconds() - t0);
}

/**
 * Throughput trials for one stream. Ours and the peer take turns (ours, peer, ours, peer, …,
 * then the rest of ours) so a neighbour's load on this shared host hits both alike.
 */
function throughput(s: Stream, ids: string[] | undefined, trials: number, peerTrials: number): { ours: Throughput; nob?: Throughput } {
  const r = new OursRunner();
  r.run(newEngine(), s, 0, s.length); // warm-up: the exact timed loop over the whole stream
  const ours: number[] = [];
  const nob: number[] = [];
  for (let t = 0; t < Math.max(trials, ids ? peerTrials : 0); t++) {
    if (t < trials) ours.push(trialOurs(r, s));
    if (ids && t < peerTrials) nob.push(trialNob(s, ids));
  }
  return ids ? { ours: rateOf(ours), nob: rateOf(nob) } : { ours: rateOf(ours) };
}

function latencyOurs(s: Stream, lat: Float64Array): Percentiles {
  const r = new OursRunner();
  const eng = newEngine();
  r.run(eng, s, 0, s.prefill);
  gc();
  r.runTimed(eng, s, s.prefill, s.length, lat);
  return summarize(lat, s.length - s.prefill);
}

function latencyNob(s: Stream, ids: string[], lat: Float64Array): Percentiles {
  const r = new NobRunner(ids);
  r.run(s, 0, s.prefill);
  gc();
  r.runTimed(s, s.prefill, s.length, lat);
  return summarize(lat, s.length - s.prefill);
}

/** Per-op latency split by operation kind (from the same pass). */
function byKind(s: Stream, lat: Float64Array): { kind: string; share: number; p: Percentiles }[] {
  const n = s.length - s.prefill;
  const rows: { kind: string; share: number; p: Percentiles }[] = [];
  const sub = new Float64Array(n);
  for (let k = 0; k < OP_NAMES.length; k++) {
    let m = 0;
    for (let i = 0; i < n; i++) if (s.kind[s.prefill + i] === k) sub[m++] = lat[i]!;
    if (m > 0) rows.push({ kind: OP_NAMES[k]!, share: m / n, p: summarize(sub, m) });
  }
  return rows;
}

interface Paced {
  ops: number;
  targetRate: number;
  achievedRate: number;
  /** Over every op of every segment. */
  lat: Percentiles;
  /** Median over segments of each segment's percentile: robust to one multi-ms stall of the host. */
  segments: number;
  segMedian: { p50: number; p99: number; p99_9: number; max: number };
}

function pacedSummary(ops: number, rate: number, elapsed: number, lat: Float64Array, segs: Percentiles[]): Paced {
  return {
    ops,
    targetRate: rate,
    achievedRate: (ops * 1e9) / elapsed,
    lat: summarize(lat, ops),
    segments: segs.length,
    segMedian: {
      p50: median(segs.map((x) => x.p50)),
      p99: median(segs.map((x) => x.p99)),
      p99_9: median(segs.map((x) => x.p99_9)),
      max: median(segs.map((x) => x.max)),
    },
  };
}

/** Splits n ops into `k` near-equal segments: [start, end) offsets. */
function segmentsOf(n: number, k: number): [number, number][] {
  const out: [number, number][] = [];
  for (let j = 0; j < k; j++) out.push([Math.floor((j * n) / k), Math.floor(((j + 1) * n) / k)]);
  return out.filter(([a, b]) => b > a);
}

/**
 * The paced run, in `k` back-to-back segments on one engine (the book carries over); each segment
 * has its own schedule starting 1 ms after the previous one ends.
 */
function pacedOurs(s: Stream, ops: number, rate: number, k: number, lat: Float64Array): Paced {
  const r = new OursRunner();
  const eng = newEngine();
  r.run(eng, s, 0, s.prefill);
  const n = Math.min(s.length, s.prefill + ops) - s.prefill;
  const segs: Percentiles[] = [];
  let elapsed = 0;
  gc();
  for (const [a, b] of segmentsOf(n, k)) {
    const view = lat.subarray(a, b);
    elapsed += r.runPaced(eng, s, s.prefill + a, s.prefill + b, 1e9 / rate, view);
    segs.push(summarize(view));
  }
  return pacedSummary(n, rate, elapsed, lat, segs);
}

/**
 * The paced loop with the engine replaced by a fixed-cost op (spin for `serviceNs`): no engine,
 * no maps, no allocation. Whatever tail it shows is the machine (scheduler, timer interrupts,
 * neighbours), which bounds how low the engine's paced tail can read on this host.
 */
function pacedBaseline(ops: number, rate: number, k: number, serviceNs: number, lat: Float64Array): Paced {
  const now = Bun.nanoseconds;
  const interval = 1e9 / rate;
  const segs: Percentiles[] = [];
  let elapsed = 0;
  gc();
  for (const [a, b] of segmentsOf(ops, k)) {
    const start = now() + 1_000_000;
    let done = start;
    for (let i = a; i < b; i++) {
      const sched = start + (i - a) * interval;
      let t = now();
      while (t < sched) t = now();
      const until = t + serviceNs;
      while (t < until) t = now();
      done = t;
      lat[i] = done - sched;
    }
    elapsed += done - start;
    segs.push(summarize(lat.subarray(a, b)));
  }
  return pacedSummary(ops, rate, elapsed, lat, segs);
}

// ---------------------------------------------------------------- full path

interface FullPath {
  check: FullCheck;
  full: Throughput;
  book: Throughput;
  /** Median full / median book. */
  ratio: number;
  lat: Percentiles;
  kinds: ReturnType<typeof byKind>;
}

/** One timed trial of the full path: fresh Exchange, untimed account setup and prefill. */
function trialFull(r: FullRunner, s: Stream, f: Funding): number {
  const ex = newExchange(f);
  r.run(ex, s, 0, s.prefill);
  gc();
  const t0 = Bun.nanoseconds();
  r.run(ex, s, s.prefill, s.length);
  return ((s.length - s.prefill) * 1e9) / (Bun.nanoseconds() - t0);
}

/** The book alone on the full path's instrument, same loop as trialOurs. */
const trialBook = (r: OursRunner, s: Stream): number => timedTrial(r, s, newBook());

/**
 * Verify (also a warm-up of both), one more warm-up pass of each timed loop, then `trials`
 * alternating pairs (book, full, book, full, …), then a per-op latency pass of the full path.
 */
function fullPath(s: Stream, trials: number, lat: Float64Array): FullPath {
  const funding = fundingFor(s);
  const check = verifyFull(s, funding);
  const fr = new FullRunner();
  const br = new OursRunner();
  fr.run(newExchange(funding), s, 0, s.length);
  br.run(newBook(), s, 0, s.length);
  const full: number[] = [];
  const book: number[] = [];
  for (let t = 0; t < trials; t++) {
    book.push(trialBook(br, s));
    full.push(trialFull(fr, s, funding));
  }
  const ex = newExchange(funding);
  fr.run(ex, s, 0, s.prefill);
  gc();
  fr.runTimed(ex, s, s.prefill, s.length, lat);
  const f = rateOf(full);
  const b = rateOf(book);
  return { check, full: f, book: b, ratio: f.median / b.median, lat: summarize(lat, s.length - s.prefill), kinds: byKind(s, lat) };
}

// ---------------------------------------------------------------- formatting

const mops = (x: number) => `${(x / 1e6).toFixed(2)}M`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function latRow(name: string, p: Percentiles): string[] {
  return [name, int(p.p50), int(p.p90), int(p.p99), int(p.p99_9), int(p.p99_99), int(p.max), int(p.mean)];
}

// ---------------------------------------------------------------- main

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const t0 = performance.now();

  log(`generating streams: ${int(o.ops)} ops each, seed ${o.seed}`);
  const streams = [exchangeMix({ ops: o.ops, seed: o.seed }), simpleMix({ ops: o.ops, seed: o.seed })] as const;
  const ids = o.peer ? streams.map(idStrings) : [];

  log("verifying against the generator's model (also warms up)");
  const checks: string[] = [];
  for (const [k, s] of streams.entries()) {
    const v = verifyOurs(s);
    if (!v.ok) checks.push(`ours/${s.name}: ${v.problems.join("; ")}`);
    if (o.peer) {
      const n = verifyNob(s, ids[k]!);
      if (!n.ok) checks.push(`nodejs-order-book/${s.name}: ${n.problems.join("; ")}`);
    }
  }
  for (const c of checks) log(`WARNING verification: ${c}`);
  gc();

  log(`throughput: ours ${o.trials} trials per stream${o.peer ? `, nodejs-order-book ${o.peerTrials}` : ""}`);
  const thr = streams.map((s, k) => throughput(s, o.peer ? ids[k]! : undefined, o.trials, o.peerTrials));
  const ours = thr.map((x) => x.ours);
  const nob = thr.map((x) => x.nob!);
  gc();

  log("per-op latency");
  const lat = new Float64Array(Math.max(o.ops, o.pacedOps));
  const timer = timerOverhead();
  const oursLat: Percentiles[] = [];
  const oursKinds: ReturnType<typeof byKind>[] = [];
  for (const s of streams) {
    oursLat.push(latencyOurs(s, lat));
    oursKinds.push(byKind(s, lat));
  }
  const nobLat = o.peer ? streams.map((s, k) => latencyNob(s, ids[k]!, lat)) : [];
  gc();

  // The paced run needs a stream at least pacedOps long; extend the exchange mix if needed.
  let pacedStream = streams[0];
  if (o.pacedOps > o.ops) {
    log(`generating ${int(o.pacedOps)}-op exchange stream for the paced run`);
    pacedStream = exchangeMix({ ops: o.pacedOps, seed: o.seed });
    new OursRunner().run(newEngine(), pacedStream, 0, pacedStream.length); // warm-up on it
  }
  log(`paced run: ${int(Math.min(o.pacedOps, pacedStream.length - pacedStream.prefill))} ops at ${int(o.rate)} ops/s, open loop`);
  const paced = pacedOurs(pacedStream, o.pacedOps, o.rate, o.segments, lat);
  const baselineOps = Math.min(paced.ops, o.long ? paced.ops : 1_000_000);
  log(`paced baseline: ${int(baselineOps)} fixed-cost ops (${int(oursLat[0]!.mean)} ns each) at the same rate`);
  const baseline = pacedBaseline(baselineOps, o.rate, o.segments, Math.round(oursLat[0]!.mean), lat);
  gc();

  const full: FullPath[] = [];
  if (o.fullPath) {
    log(`full path: Exchange.execute vs book alone, ${o.fullTrials} alternating trials per stream, then per-op latency`);
    for (const s of streams) full.push(fullPath(s, o.fullTrials, lat));
    for (const [k, f] of full.entries()) for (const p of f.check.problems) log(`WARNING full-path verification/${streams[k]!.name}: ${p}`);
  }
  const fullOk = full.every((f) => f.check.ok);
  const wall = (performance.now() - t0) / 1000;

  // ---- report
  const [ex, si] = streams;
  const out: string[] = [];
  out.push(`Bourse matching engine bench — bun ${Bun.version}, ${cpus().length} cpus, seed ${o.seed}, ${int(o.ops)} ops per stream (+${int(ex.prefill)} untimed prefill)`);
  out.push("");
  out.push("streams (measured part, from the generator's model)");
  out.push(
    table(
      ["stream", ...OP_NAMES, "trading ops", "trades", "avg orders", "avg levels"],
      streams.map((s) => [s.name, ...s.stats.mix.map(pct), pct(s.stats.tradingOps), int(s.stats.trades), int(s.stats.avgOrders), int(s.stats.avgLevels)]),
    ),
  );
  out.push(`verification: ${checks.length === 0 ? "ok (no rejects; trades and final book match the model" + (o.peer ? " for both engines)" : ")") : `FAILED — ${checks.join(" | ")}`}`);
  out.push("");
  out.push(`throughput, ops/s (ours: median of ${o.trials} trials; peer: median of ${o.peerTrials})`);
  const thrRows = streams.map((s, k) => {
    const row = [s.name, mops(ours[k]!.median), mops(ours[k]!.best), `${mops(Math.min(...ours[k]!.trials))}–${mops(Math.max(...ours[k]!.trials))}`];
    if (o.peer) row.push(mops(nob[k]!.median), `${(ours[k]!.median / nob[k]!.median).toFixed(1)}×`);
    return row;
  });
  out.push(table(["stream", "ours", "ours best", "ours range", ...(o.peer ? ["nodejs-order-book", "ours / peer"] : [])], thrRows));
  out.push("");
  out.push(`per-op latency, ns (separate pass; each op timed alone; timer pair costs p50 ${int(timer.p50)} ns, not subtracted)`);
  const latRows = streams.flatMap((s, k) => [latRow(`${s.name} ours`, oursLat[k]!), ...(o.peer ? [latRow(`${s.name} nodejs-order-book`, nobLat[k]!)] : [])]);
  out.push(table(["stream / engine", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"], latRows));
  out.push("");
  out.push("per-op latency of ours by operation kind, ns (same pass)");
  const kindRows = streams.flatMap((s, k) => oursKinds[k]!.map((r) => latRow(`${s.name} ${r.kind} (${pct(r.share)})`, r.p)));
  out.push(table(["stream / op (share)", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"], kindRows));
  out.push("");
  out.push(`paced, exchange mix, ours: ${int(paced.ops)} ops offered at ${int(paced.targetRate)} ops/s on a fixed schedule (achieved ${int(paced.achievedRate)} ops/s)`);
  out.push("latency = completion − scheduled send time, ns (queueing included: no coordinated omission)");
  out.push(
    table(
      ["", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"],
      [latRow("ours", paced.lat), latRow(`baseline (${int(baseline.ops)} fixed ${int(oursLat[0]!.mean)} ns ops)`, baseline.lat)],
    ),
  );
  const segRow = (name: string, x: Paced) => [name, int(x.segMedian.p50), int(x.segMedian.p99), int(x.segMedian.p99_9), int(x.segMedian.max)];
  out.push(`median over ${paced.segments} segments of each segment's percentile (one host stall spoils one segment, not the figure)`);
  out.push(table(["", "p50", "p99", "p99.9", "max"], [segRow("ours", paced), segRow("baseline", baseline)]));
  out.push("baseline = same schedule with the engine replaced by a fixed-cost spin: the machine's own tail on this host");
  if (o.fullPath) {
    out.push("");
    out.push(`full path: Exchange.execute (R1 validate/risk/reserve → book → R2 settle/positions/P&L/lifecycle), ${int(ACCOUNTS)} accounts opened and funded untimed`);
    out.push(`book alone: bare MatchingEngine on the same instrument; ${o.fullTrials} trials each, alternating book/full; median ops/s`);
    out.push(
      table(
        ["stream", "full path", "full range", "book alone", "book range", "full / book"],
        streams.map((s, k) => {
          const f = full[k]!;
          const range = (x: Throughput) => `${mops(Math.min(...x.trials))}–${mops(Math.max(...x.trials))}`;
          return [s.name, mops(f.full.median), range(f.full), mops(f.book.median), range(f.book), f.ratio.toFixed(2)];
        }),
      ),
    );
    out.push(
      `full-path verification: ${
        fullOk
          ? `ok (no rejects; same trades in the same order as the book alone and the model: ${streams.map((s, k) => `${s.name} ${int(full[k]!.check.full.trades)}`).join(", ")}; same final book; open orders agree; cash + fees conserved)`
          : `FAILED — ${full.flatMap((f, k) => f.check.problems.map((p) => `${streams[k]!.name}: ${p}`)).join(" | ")}`
      }`,
    );
    out.push("");
    out.push("per-op latency of the full path, ns (separate pass, each Exchange.execute timed alone, by operation kind)");
    const fullRows = streams.flatMap((s, k) => [
      latRow(`${s.name} full path`, full[k]!.lat),
      ...full[k]!.kinds.map((r) => latRow(`  ${r.kind} (${pct(r.share)})`, r.p)),
    ]);
    out.push(table(["stream / op (share)", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"], fullRows));
  }
  out.push("");
  out.push(`wall time ${wall.toFixed(1)} s`);
  console.log(out.join("\n"));

  if (o.json) {
    const r = (x: number) => Math.round(x);
    const json: Record<string, unknown> = {
      ops_per_s_exchange_mix: r(ours[0]!.median),
      ops_per_s_simple_mix: r(ours[1]!.median),
      nob_ops_per_s_exchange_mix: o.peer ? r(nob[0]!.median) : null,
      nob_ops_per_s_simple_mix: o.peer ? r(nob[1]!.median) : null,
      ratio_vs_nob_exchange_mix: o.peer ? +(ours[0]!.median / nob[0]!.median).toFixed(2) : null,
      ratio_vs_nob_simple_mix: o.peer ? +(ours[1]!.median / nob[1]!.median).toFixed(2) : null,
      p50_ns_exchange_mix: oursLat[0]!.p50,
      p90_ns_exchange_mix: oursLat[0]!.p90,
      p99_ns_exchange_mix: oursLat[0]!.p99,
      p999_ns_exchange_mix: oursLat[0]!.p99_9,
      max_ns_exchange_mix: oursLat[0]!.max,
      p50_ns_simple_mix: oursLat[1]!.p50,
      p99_ns_simple_mix: oursLat[1]!.p99,
      p999_ns_simple_mix: oursLat[1]!.p99_9,
      p50_ns_at_1m: paced.lat.p50,
      p99_ns_at_1m: paced.lat.p99,
      p999_ns_at_1m: paced.lat.p99_9,
      max_ns_at_1m: paced.lat.max,
      paced_target_ops_per_s: paced.targetRate,
      paced_achieved_ops_per_s: r(paced.achievedRate),
      paced_ops: paced.ops,
      p99_ns_at_1m_segment_median: paced.segMedian.p99,
      p999_ns_at_1m_segment_median: paced.segMedian.p99_9,
      baseline_p99_ns_at_1m: baseline.lat.p99,
      baseline_p99_ns_at_1m_segment_median: baseline.segMedian.p99,
      baseline_p999_ns_at_1m: baseline.lat.p99_9,
      ops_per_s_exchange_mix_best: r(ours[0]!.best),
      ops_per_s_simple_mix_best: r(ours[1]!.best),
      timer_overhead_ns_p50: timer.p50,
      ops: o.ops,
      seed: o.seed,
      trials: o.trials,
      peer_trials: o.peerTrials,
      verified: checks.length === 0,
      exchange_mix_trading_ops: +ex.stats.tradingOps.toFixed(4),
      exchange_mix_avg_orders: r(ex.stats.avgOrders),
      exchange_mix_avg_levels: r(ex.stats.avgLevels),
      simple_mix_avg_orders: r(si.stats.avgOrders),
      ops_per_s_full_path_exchange_mix: o.fullPath ? r(full[0]!.full.median) : null,
      ops_per_s_full_path_simple_mix: o.fullPath ? r(full[1]!.full.median) : null,
      ops_per_s_book_alone_exchange_mix: o.fullPath ? r(full[0]!.book.median) : null,
      ops_per_s_book_alone_simple_mix: o.fullPath ? r(full[1]!.book.median) : null,
      ratio_full_path_vs_book: o.fullPath ? +full[0]!.ratio.toFixed(3) : null,
      ratio_full_path_vs_book_simple_mix: o.fullPath ? +full[1]!.ratio.toFixed(3) : null,
      p50_ns_full_path_exchange_mix: o.fullPath ? full[0]!.lat.p50 : null,
      p99_ns_full_path_exchange_mix: o.fullPath ? full[0]!.lat.p99 : null,
      p999_ns_full_path_exchange_mix: o.fullPath ? full[0]!.lat.p99_9 : null,
      max_ns_full_path_exchange_mix: o.fullPath ? full[0]!.lat.max : null,
      p50_ns_full_path_simple_mix: o.fullPath ? full[1]!.lat.p50 : null,
      p99_ns_full_path_simple_mix: o.fullPath ? full[1]!.lat.p99 : null,
      p999_ns_full_path_simple_mix: o.fullPath ? full[1]!.lat.p99_9 : null,
      full_path_trials: o.fullPath ? o.fullTrials : null,
      full_path_verified: o.fullPath ? fullOk : null,
      bun: Bun.version,
      wall_s: +wall.toFixed(1),
    };
    console.log(JSON.stringify(json));
  }
  if (checks.length > 0 || !fullOk) process.exitCode = 1;
}

main();
