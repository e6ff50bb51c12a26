/**
 * FIX benchmark: order entry through the FIX 4.4 door (gateway/fix/) over N FIX sessions, beside
 * the WebSocket door driven with the same order stream at the same rates, on the same server.
 *
 *   bun run bench/fix.ts [--conns N] [--seconds S] [--probe-seconds P] [--probe-rounds K]
 *                        [--rounds R] [--window W] [--lag-ms MS] [--rate R] [--warmup-seconds S]
 *                        [--workers 0|1] [--keep-limits] [--ws-order-ids] [--encode-fix]
 *                        [--cpu-prof DIR] [--dir BASE] [--json] [--long]
 *
 * Processes: this one is the harness (drivers, schedule, timing); every measurement gets a fresh
 * server in a child process (bench/fix-server.ts: `serve()`, both doors, fsync on, data directory
 * under the OS temp dir), so each door starts from the same empty state and no run pays for the
 * history an earlier one left (every FIX order carries a ClOrdID, and the engine keeps client order
 * ids in its idempotency index, which the periodic state hash and snapshots serialize).
 *
 * The stream (both doors): resting 1-lot limit orders on BTC-USD that never cross and cancels of
 * each connection's order placed ~lag-ms earlier, 1:1 — bench/ws-drive.ts's RestingFlow, and its
 * FIX twin FixRestingFlow (bench/fix-drive.ts): the same prices, sides and cancel targets; every
 * order carries a client order id and cancels name it (FIX: ClOrdID / OrigClOrdID; WebSocket:
 * clientOrderId, RestingFlow's `clientIds`; `--ws-order-ids` makes the WebSocket stream bench:ws's
 * default, no client ids and cancels by order id).
 *
 *   1. saturation probes: closed loop, W requests outstanding per connection, FIX and WebSocket
 *      alternating (fix, ws, ws, fix, …), K rounds; a door's saturated rate = the median;
 *   2. latency: open loop at half the FIX door's saturated rate (or --rate), both doors, S seconds
 *      each (after an untimed warm-up at the same rate, then an emptied book), alternating, R
 *      rounds; latency = the socket read holding the answer − the request's scheduled send time
 *      (no coordinated omission), hdr-histogram percentiles; and the server's CPU per request
 *      (process CPU time / requests answered), which a busy shared host moves less than latency.
 *
 * Requests/s count orders and cancels (1:1), as bench:ws does. Progress goes to stderr; with
 * --json the last line of stdout is one JSON object.
 */
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { formatPrice, formatQty, makeInstrument } from "../engine/instrument.ts";
import { FixDriver } from "./fix-drive.ts";
import { FixRestingFlow } from "./fix-flows.ts";
import { fixBenchConfig } from "./fix-server.ts";
import { median } from "./kit/histogram.ts";
import { Driver, RestingFlow, type RunResult } from "./ws-drive.ts";
import { makeClock, parseWsUrl } from "./kit/ws-wire.ts";
import { log, parseFlags } from "./kit/args.ts";
import { Child } from "./kit/child.ts";
import { hostBusy, hostTicks, ms, table, runCountsJson, runLatencyJson, runCells } from "./kit/report.ts";

interface Options {
  conns: number;
  seconds: number;
  probeSeconds: number;
  probeRounds: number;
  rounds: number;
  window: number;
  lagMs: number;
  warmupSeconds: number;
  rate: number;
  workers: number;
  keepLimits: boolean;
  wsOrderIds: boolean;
  encodeFix: boolean;
  cpuProf: string;
  dir: string;
  json: boolean;
  long: boolean;
}

function parseArgs(argv: string[]): Options {
  const long = argv.includes("--long");
  const o: Options = {
    conns: 4,
    seconds: long ? 20 : 8,
    probeSeconds: long ? 5 : 3,
    probeRounds: long ? 3 : 2,
    rounds: long ? 2 : 1,
    window: 64,
    lagMs: 100,
    warmupSeconds: 1,
    rate: 0,
    workers: 0,
    keepLimits: false,
    wsOrderIds: false,
    encodeFix: false,
    cpuProf: "",
    dir: tmpdir(),
    json: false,
    long,
  };
  parseFlags(argv, "usage: bun run bench/fix.ts [--conns N] [--seconds S] [--probe-seconds P] [--probe-rounds K] [--rounds R] [--window W] [--lag-ms MS] [--rate R] [--warmup-seconds S] [--workers 0|1] [--keep-limits] [--ws-order-ids] [--encode-fix] [--cpu-prof DIR] [--dir BASE] [--json] [--long]", {
    "--conns": (v) => (o.conns = Math.max(1, Math.floor(v.num()))),
    "--seconds": (v) => (o.seconds = Math.max(0.5, v.num())),
    "--probe-seconds": (v) => (o.probeSeconds = Math.max(1, v.num())),
    "--probe-rounds": (v) => (o.probeRounds = Math.max(1, Math.floor(v.num()))),
    "--rounds": (v) => (o.rounds = Math.max(1, Math.floor(v.num()))),
    "--window": (v) => (o.window = Math.max(1, Math.floor(v.num()))),
    "--lag-ms": (v) => (o.lagMs = v.num()),
    "--rate": (v) => (o.rate = v.num()),
    "--warmup-seconds": (v) => (o.warmupSeconds = v.num()),
    "--workers": (v) => (o.workers = v.num() === 1 ? 1 : 0),
    "--keep-limits": () => (o.keepLimits = true),
    "--ws-order-ids": () => (o.wsOrderIds = true),
    "--encode-fix": () => (o.encodeFix = true),
    "--cpu-prof": (v) => (o.cpuProf = v.str()),
    "--dir": (v) => (o.dir = v.str()),
    "--json": () => (o.json = true),
    "--long": () => {},
  });
  return o;
}

const ACCOUNTS = ["alice", "bob", "carol", "dave"];
const keyOf = (name: string) => ({ id: `${name}-demo`, secret: `${name}-demo-secret-do-not-use-in-production` });
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");

// ---------------------------------------------------------------- server CPU

/** Server CPU per request answered, µs. */
const usPerReq = (m: { serverCpu: number; run: RunResult }) => (m.run.achieved > 0 ? (m.serverCpu * 1e6) / m.run.achieved : NaN);

// ---------------------------------------------------------------- the server

/** bench/fix-server.ts in a child process, with IPC. */
class ServerProc extends Child {
  url = "";
  fixHost = "";
  fixPort = 0;

  static async start(o: Options, tag: string): Promise<ServerProc> {
    const prof = o.cpuProf ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${o.cpuProf}`, `--cpu-prof-name=${tag}`] : [];
    const s = new ServerProc([...prof, join(import.meta.dir, "fix-server.ts"), "--workers", String(o.workers), "--keep-limits", o.keepLimits ? "1" : "0", "--dir", o.dir], "server");
    const ready = await s.next("ready");
    s.url = String(ready.url);
    s.fixHost = String(ready.fixHost);
    s.fixPort = Number(ready.fixPort);
    return s;
  }

  override stop(): Promise<void> {
    return super.stop(15_000);
  }
}

// ---------------------------------------------------------------- one measurement

type Door = "fix" | "ws";

interface Measurement {
  door: Door;
  mode: "closed" | "open";
  round: number;
  run: RunResult;
  serverCpu: number;
  hostCpu: number;
  /** Connections the server closed during the run. */
  lost: number;
  /** FIX only: frames that failed the CheckSum / framing; session messages seen outside runs. */
  garbled: number;
  ok: boolean;
  why: string;
}

interface Streams {
  fix: FixRestingFlow;
  ws: RestingFlow;
  ref: number;
}

function makeStreams(o: Options): Streams {
  const config = fixBenchConfig(o.keepLimits);
  const spec = config.exchange.instruments.find((i) => i.id === 1)!;
  const inst = makeInstrument(spec);
  const ref = inst.referencePrice;
  // Connections of accounts without a BTC position (dave) only buy (as bench/ws.ts).
  const holds = (config.accounts ?? []).map((a) => Object.keys(a.positions ?? {}).includes(spec.base ?? "BTC"));
  const canSell = Array.from({ length: o.conns }, (_, c) => holds[c % 4] ?? false);
  return {
    fix: new FixRestingFlow(ref, canSell, (t) => formatPrice(inst, t), inst.symbol, formatQty(inst, 1)),
    ws: new RestingFlow(ref, canSell, !o.wsOrderIds),
    ref,
  };
}

function verdict(r: RunResult): { ok: boolean; why: string } {
  if (r.mode === "closed") return { ok: true, why: "probe" };
  const why: string[] = [];
  if (r.answered < r.sent) why.push(`${r.sent - r.answered} unanswered`);
  if (r.achieved < 0.95 * r.offered) why.push(`achieved ${((100 * r.achieved) / r.offered).toFixed(0)}%`);
  if (r.p50Last > Math.max(3 * r.p50First, r.p50First + 5e6)) why.push("queue grows");
  if (r.errors > 0) why.push(`${r.errors} errors`);
  return { ok: why.length === 0, why: why.join(", ") || "kept up" };
}

/** The run either door's driver does the same way. */
interface RunDriver<F> {
  runClosed(flow: F, window: number, seconds: number, warmupS: number): Promise<RunResult>;
  runOpen(flow: F, rate: number, seconds: number, drainMs: number): Promise<RunResult>;
}

/**
 * Rate 0: a closed-loop probe, `window` outstanding per connection. Else an open-loop run at
 * `rate` after a warm-up at that rate (its book emptied by `cleanup`). `timed` wraps the measured run.
 */
async function drive<F extends { lagSlots: number }>(d: RunDriver<NoInfer<F>>, flow: F, cleanup: () => Promise<void>, rate: number, o: Options, timed: (f: () => Promise<RunResult>) => Promise<RunResult>): Promise<RunResult> {
  if (rate === 0) {
    flow.lagSlots = o.window + 8;
    return timed(() => d.runClosed(flow, o.window, o.probeSeconds, Math.min(1, o.probeSeconds / 3)));
  }
  flow.lagSlots = Math.ceil(((o.lagMs / 1000) * rate) / o.conns);
  if (o.warmupSeconds > 0) {
    await d.runOpen(flow, rate, o.warmupSeconds, 3000);
    await cleanup();
  }
  return timed(() => d.runOpen(flow, rate, o.seconds, 3000));
}

/**
 * A fresh server; connect and log on the door's N connections; one run (closed loop when rate is
 * 0, else open loop at `rate`); empty the book; stop the server.
 */
async function measure(door: Door, rate: number, round: number, o: Options, s: Streams, clock: () => number): Promise<Measurement> {
  const tag = `${door}-${rate ? "open" : "probe"}-${round}`;
  const server = await ServerProc.start(o, tag);
  try {
    let run: RunResult;
    let lost = 0;
    let garbled = 0;
    let hostCpu = 0;
    let serverCpu = 0;
    const timed = async (f: () => Promise<RunResult>) => {
      await server.cpuMark();
      const h0 = hostTicks();
      const r = await f();
      hostCpu = hostBusy(h0, hostTicks());
      serverCpu = await server.cpuShare();
      return r;
    };
    if (door === "fix") {
      const d = new FixDriver(clock, o.conns, "BOURSE", o.encodeFix);
      await d.open(
        server.fixHost,
        server.fixPort,
        Array.from({ length: o.conns }, (_, c) => {
          const name = ACCOUNTS[c % 4]!;
          const k = keyOf(name);
          return { senderCompId: `${name.toUpperCase()}-${c}`, username: k.id, password: k.secret };
        }),
      );
      const flow = s.fix;
      run = await drive(d, flow, () => d.cleanup(flow.symbol), rate, o, timed);
      lost = d.lost;
      garbled = d.garbled;
      await d.cleanup(flow.symbol).catch((e) => log(`  cleanup: ${(e as Error).message}`));
      await d.close();
    } else {
      const d = new Driver(clock, o.conns);
      await d.open(parseWsUrl(`${server.url}/ws`));
      await d.login(Array.from({ length: o.conns }, (_, c) => keyOf(ACCOUNTS[c % 4]!)));
      run = await drive(d, s.ws, () => d.cleanup(), rate, o, timed);
      lost = d.lost;
      await d.cleanup().catch((e) => log(`  cleanup: ${(e as Error).message}`));
      d.close();
    }
    const v = verdict(run);
    if (lost > 0) {
      v.ok = false;
      v.why = `${lost} connections closed by the server, ${v.why}`;
    }
    return { door, mode: run.mode, round, run, serverCpu, hostCpu, lost, garbled, ...v };
  } finally {
    await server.stop();
  }
}

const DOOR_NAME: Record<Door, string> = { fix: "FIX", ws: "WebSocket" };

function line(m: Measurement): string {
  const r = m.run;
  return `${r.mode === "open" ? `offered ${int(r.offered)}/s, ` : ""}achieved ${int(r.achieved)}/s, ACK p50 ${ms(r.orders?.p50)} p99 ${ms(r.orders?.p99)} max ${ms(r.orders?.max)} ms, cancel p99 ${ms(r.cancels?.p99)}, late p99 ${ms(r.lateness?.p99)}, CPU server ${m.serverCpu.toFixed(2)} harness ${r.cpuShare.toFixed(2)} host ${m.hostCpu.toFixed(2)}${r.rejects + r.errors ? `, ${r.rejects + r.errors} refused` : ""}, ${m.why}`;
}

// ---------------------------------------------------------------- report

function mJson(m: Measurement) {
  const r = m.run;
  return {
    door: m.door,
    mode: r.mode,
    round: m.round,
    ...runCountsJson(r),
    refused: r.reasons,
    ...runLatencyJson(r),
    server_cpu: +m.serverCpu.toFixed(3),
    server_cpu_us_per_request: Number.isFinite(usPerReq(m)) ? +usPerReq(m).toFixed(2) : null,
    harness_cpu: +r.cpuShare.toFixed(3),
    host_cpu: +m.hostCpu.toFixed(3),
    connections_lost: m.lost,
    garbled: m.garbled,
    kept_up: r.mode === "open" ? m.ok : null,
    verdict: m.why,
  };
}

/** Median over rounds of a percentile (ns); NaN when absent. */
function medianOf(ms: Measurement[], f: (r: RunResult) => number | undefined): number {
  const xs = ms.map((m) => f(m.run)).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length ? median(xs) : NaN;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const wall0 = performance.now();
  const clock = makeClock(performance.timeOrigin);
  const load0 = load();
  log(`bench/fix.ts: ${o.conns} connections per door, window ${o.window}, probes ${o.probeRounds} × ${o.probeSeconds} s, latency ${o.rounds} × ${o.seconds} s, workers ${o.workers}, data under ${o.dir}, load ${load0}`);
  const streams = makeStreams(o);
  // The in-place FIX encoder must write what encodeFix writes.
  FixDriver.selfCheck(streams.fix, o.conns, 500);

  const probes: Measurement[] = [];
  const opens: Measurement[] = [];
  const show = (m: Measurement) => log(`  ${DOOR_NAME[m.door]} ${m.mode === "closed" ? "probe" : "open"}: ${line(m)}`);
  // 1. Saturation probes, alternating fix, ws | ws, fix | …
  for (let round = 0; round < o.probeRounds; round++) {
    const order: Door[] = round % 2 === 0 ? ["fix", "ws"] : ["ws", "fix"];
    for (const door of order) {
      log(`${DOOR_NAME[door]}: saturation probe ${round + 1}/${o.probeRounds} (closed loop, ${o.window} outstanding × ${o.conns} connections, ${o.probeSeconds} s)`);
      const m = await measure(door, 0, round, o, streams, clock);
      probes.push(m);
      show(m);
    }
  }
  const sat = (door: Door) => median(probes.filter((m) => m.door === door).map((m) => m.run.achieved));
  const fixSat = sat("fix");
  const wsSat = sat("ws");
  const rate = o.rate > 0 ? o.rate : Math.max(100, Math.round(fixSat / 2));

  // 2. Latency at one rate for both doors, alternating ws, fix | fix, ws | …
  for (let round = 0; round < o.rounds; round++) {
    const order: Door[] = round % 2 === 0 ? ["ws", "fix"] : ["fix", "ws"];
    for (const door of order) {
      log(`${DOOR_NAME[door]}: open loop at ${int(rate)}/s for ${o.seconds} s (round ${round + 1}/${o.rounds})`);
      const m = await measure(door, rate, round, o, streams, clock);
      opens.push(m);
      show(m);
    }
  }
  const wall = (performance.now() - wall0) / 1000;

  // ------------------------------------------------------------ report
  const out: string[] = [];
  out.push(`bench/fix.ts — Bun ${Bun.version}, ${cpus().length} cores, load ${load0} at start, ${load()} at end; ${o.conns} connections per door (${Array.from({ length: Math.min(o.conns, 4) }, (_, c) => ACCOUNTS[c]).join(", ")}), workers ${o.workers}, fsync on${o.keepLimits ? ", demo limits kept" : ", rate/open-order limits lifted"}${o.encodeFix ? ", FIX harness on encodeFix" : ""}`);
  out.push(`stream: resting 1-lot BTC-USD limits + cancels ${o.lagMs} ms later, 1:1; ${o.wsOrderIds ? "FIX orders carry ClOrdIDs, WebSocket orders none (cancels by order id)" : "every order carries a client order id and cancels name it, on both doors"}; a fresh server for every run`);
  out.push(`requests/s = orders + cancels; ACK = NewOrderSingle → ExecutionReport New (FIX), NEW_ORDER → ACK (WebSocket); latency ms from the scheduled send (open loop) / the send (probe) to the socket read holding the answer`);
  const rows: string[][] = [...probes, ...opens].map((m) => {
    const r = m.run;
    return [
      `${DOOR_NAME[m.door]} ${r.mode === "closed" ? "probe" : "open"} ${m.round + 1}`,
      ...runCells(r),
      r.rejects + r.errors ? int(r.rejects + r.errors) : "–",
      m.serverCpu.toFixed(2),
      usPerReq(m).toFixed(1),
      r.cpuShare.toFixed(2),
      m.hostCpu.toFixed(2),
      ms(r.lateness?.p99),
      r.mode === "open" ? m.why : "",
    ];
  });
  out.push(table(["door / run", "offered/s", "achieved/s", "ACK p50", "p90", "p99", "p99.9", "max", "cancel p99", "refused", "srv CPU", "srv µs/req", "hrn CPU", "host CPU", "late p99", "verdict"], rows));
  out.push("");

  const fixOpen = opens.filter((m) => m.door === "fix");
  const wsOpen = opens.filter((m) => m.door === "ws");
  const q = (xs: Measurement[], f: (r: RunResult) => number | undefined) => medianOf(xs, f);
  const p50 = (r: RunResult) => r.orders?.p50;
  const p90 = (r: RunResult) => r.orders?.p90;
  const p99 = (r: RunResult) => r.orders?.p99;
  const p999 = (r: RunResult) => r.orders?.p99_9;
  const max = (r: RunResult) => r.orders?.max;
  const cp99 = (r: RunResult) => r.cancels?.p99;
  const seg = (r: RunResult) => (r.segmentP99.length ? median(r.segmentP99) : undefined);
  const usOf = (xs: Measurement[]) => (xs.length ? median(xs.map(usPerReq)) : NaN);
  const summary = (door: Door, satRate: number, xs: Measurement[]) => [
    DOOR_NAME[door],
    int(satRate),
    int(satRate / 2),
    ms(q(xs, p50)),
    ms(q(xs, p90)),
    ms(q(xs, p99)),
    ms(q(xs, p999)),
    ms(q(xs, max)),
    ms(q(xs, seg)),
    ms(q(xs, cp99)),
    usOf(probes.filter((m) => m.door === door)).toFixed(1),
    usOf(xs).toFixed(1),
    xs.every((m) => m.ok) ? "yes" : "no",
  ];
  const ratio = (a: number, b: number, digits = 2) => (Number.isFinite(a / b) ? (a / b).toFixed(digits) : "–");
  out.push(`saturated = median of ${o.probeRounds} closed-loop probes; latency at ${int(rate)}/s (${o.rate > 0 ? "--rate" : "half the FIX door's saturated rate"}), both doors${o.rounds > 1 ? `, median over ${o.rounds} rounds` : ""}:`);
  out.push(
    table(
      ["door", "saturated req/s", "(new orders/s)", "ACK p50", "p90", "p99", "p99.9", "max", "p99 of 0.5 s segments (median)", "cancel p99", "srv µs/req saturated", "at half", "kept up"],
      [
        summary("fix", fixSat, fixOpen),
        summary("ws", wsSat, wsOpen),
        ["fix / ws", ratio(fixSat, wsSat), "", ratio(q(fixOpen, p50), q(wsOpen, p50)), ratio(q(fixOpen, p90), q(wsOpen, p90)), ratio(q(fixOpen, p99), q(wsOpen, p99)), ratio(q(fixOpen, p999), q(wsOpen, p999)), ratio(q(fixOpen, max), q(wsOpen, max)), ratio(q(fixOpen, seg), q(wsOpen, seg)), ratio(q(fixOpen, cp99), q(wsOpen, cp99)), ratio(usOf(probes.filter((m) => m.door === "fix")), usOf(probes.filter((m) => m.door === "ws"))), ratio(usOf(fixOpen), usOf(wsOpen)), ""],
      ],
    ),
  );
  out.push("kept up = every request answered, ≥ 95% of the offered rate achieved, no queue growth (median latency of the last fifth ≤ max(3× the first fifth's, +5 ms)); no latency bound");
  out.push(`fix_vs_ws_throughput (saturated requests/s, FIX / WebSocket) = ${ratio(fixSat, wsSat, 3)}; per probe: FIX ${probes.filter((m) => m.door === "fix").map((m) => int(m.run.achieved)).join(", ")}, WebSocket ${probes.filter((m) => m.door === "ws").map((m) => int(m.run.achieved)).join(", ")}`);
  for (const m of opens) out.push(`${DOOR_NAME[m.door]} round ${m.round + 1}: ACK p99 per 0.5 s segment: ${m.run.segmentP99.map((x) => ms(x)).join(", ")}`);
  out.push("");
  out.push(`wall time ${wall.toFixed(1)} s`);
  console.log(out.join("\n"));

  if (o.json) {
    const msOf = (ns: number) => (Number.isFinite(ns) ? +(ns / 1e6).toFixed(3) : null);
    const num = (x: number, d = 4) => (Number.isFinite(x) ? +x.toFixed(d) : null);
    const json: Record<string, unknown> = {
      fix_orders_per_s: Number.isFinite(fixSat) ? Math.round(fixSat) : null,
      ws_orders_per_s: Number.isFinite(wsSat) ? Math.round(wsSat) : null,
      fix_p99_ack_ms_at_half: msOf(q(fixOpen, p99)),
      ws_p99_ack_ms_at_half: msOf(q(wsOpen, p99)),
      fix_vs_ws_throughput: num(fixSat / wsSat),
      fix_vs_ws_p99_ack_at_half: num(q(fixOpen, p99) / q(wsOpen, p99)),
      half_rate_per_s: Math.round(rate),
      fix_p50_ack_ms_at_half: msOf(q(fixOpen, p50)),
      ws_p50_ack_ms_at_half: msOf(q(wsOpen, p50)),
      fix_p90_ack_ms_at_half: msOf(q(fixOpen, p90)),
      ws_p90_ack_ms_at_half: msOf(q(wsOpen, p90)),
      fix_p999_ack_ms_at_half: msOf(q(fixOpen, p999)),
      ws_p999_ack_ms_at_half: msOf(q(wsOpen, p999)),
      fix_max_ack_ms_at_half: msOf(q(fixOpen, max)),
      ws_max_ack_ms_at_half: msOf(q(wsOpen, max)),
      fix_p99_ack_ms_at_half_segment_median: msOf(q(fixOpen, seg)),
      ws_p99_ack_ms_at_half_segment_median: msOf(q(wsOpen, seg)),
      fix_p99_cancel_ms_at_half: msOf(q(fixOpen, cp99)),
      ws_p99_cancel_ms_at_half: msOf(q(wsOpen, cp99)),
      fix_server_cpu_us_per_request_at_half: num(usOf(fixOpen), 2),
      ws_server_cpu_us_per_request_at_half: num(usOf(wsOpen), 2),
      fix_vs_ws_server_cpu_per_request: num(usOf(fixOpen) / usOf(wsOpen)),
      fix_server_cpu_us_per_request_saturated: num(usOf(probes.filter((m) => m.door === "fix")), 2),
      ws_server_cpu_us_per_request_saturated: num(usOf(probes.filter((m) => m.door === "ws")), 2),
      fix_kept_up_at_half: fixOpen.every((m) => m.ok),
      ws_kept_up_at_half: wsOpen.every((m) => m.ok),
      requests_are: "orders + cancels, 1:1",
      probes: probes.map(mJson),
      open_runs: opens.map(mJson),
      conns: o.conns,
      window: o.window,
      probe_seconds: o.probeSeconds,
      probe_rounds: o.probeRounds,
      seconds: o.seconds,
      rounds: o.rounds,
      lag_ms: o.lagMs,
      workers: o.workers,
      limits_lifted: !o.keepLimits,
      ws_client_order_ids: !o.wsOrderIds,
      fix_harness_encode_fix: o.encodeFix,
      load_start: load0,
      load_end: load(),
      bun: Bun.version,
      cores: cpus().length,
      wall_s: +wall.toFixed(1),
    };
    console.log(JSON.stringify(json));
  }
}

await main();
