/**
 * What /metrics costs the order path (docs/metrics.md), in two parts, in one run:
 *
 *   1. micro: N counter increments by (door, command) through a typed array indexed by small
 *      integers (what order entry does) against a labelled counter the way prom-client's
 *      `inc({ door, command })` works (a label object per call, its keys sorted and joined into a
 *      string, a Map lookup); and one ack-latency observation (two performance.now() and a bucket
 *      search) — ns per operation, median of the repetitions.
 *   2. full path: the whole exchange in this process (app/exchange.ts: the embedded runtime with
 *      fsync on the syncer thread, order entry, the doors listening on free ports; history and FIX
 *      off), driven straight into order entry by a session of the WebSocket door: IOC buys far below
 *      the market (accepted, then cancelled unfilled: nothing trades, the book stays the same),
 *      in bursts of B in one turn of the event loop, the next burst once the last is answered. Metrics on (the config's default) and off (metrics.enabled
 *      false: nothing counted, nothing timed, no syncer observations) take turns, the order
 *      rotating, on fresh data directories. Reported: orders/s and the latency from the request to
 *      its accepted report (p50, p99, p99.9), median over trials, and the ratio on/off.
 *
 *   npm run bench:metrics [-- --orders N] [--warmup W] [--burst B] [--trials T] [--increments N]
 *                           [--prom-client PATH] [--json]
 *
 * Bourse does not depend on prom-client; the labelled counter here does the work its `inc(labels)`
 * does per call, without its extra checks. With `--prom-client PATH` (a prom-client installed
 * elsewhere, e.g. `npm i --prefix /tmp/pc prom-client` and PATH /tmp/pc/node_modules/prom-client)
 * the micro part also times the real `Counter.inc(labels)` and `Histogram.observe(labels, v)`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../app/config.ts";
import { BourseExchange } from "../app/exchange.ts";
import { OrderType, Side, StpMode, TimeInForce } from "../engine/commands.ts";
import { makeInstrument, parsePrice, parseQty } from "../engine/instrument.ts";
import type { NewOrderRequest, OrderReports, OrderSession } from "../gateway/order-entry/order-entry-types.ts";
import { Door } from "../gateway/order-entry/order-metrics.ts";
import { silentLogger } from "../log/logger.ts";
import { Histogram, LATENCY_BOUNDS } from "../metrics/histogram.ts";
import { flagOr, log } from "./kit/args.ts";
import { median } from "./kit/histogram.ts";
import { int, table } from "./kit/report.ts";

const argv = process.argv.slice(2);
if (argv.includes("--help")) {
  console.log("npm run bench:metrics [-- --orders N] [--warmup W] [--burst B] [--trials T] [--increments N] [--json]");
  process.exit(0);
}
const ORDERS = flagOr(argv, "--orders", 60_000);
const WARMUP = flagOr(argv, "--warmup", 20_000);
const BURST = flagOr(argv, "--burst", 200);
const TRIALS = flagOr(argv, "--trials", 4);
const INCREMENTS = flagOr(argv, "--increments", 10_000_000);
const JSON_OUT = argv.includes("--json");
const PROM_CLIENT = argv.includes("--prom-client") ? argv[argv.indexOf("--prom-client") + 1]! : null;

// ---- 1. micro -------------------------------------------------------------------------------

const DOORS = ["ws", "fix", "rest"];
const COMMANDS = ["new_order", "cancel", "amend", "mass_cancel", "status"];

function typedArray(n: number): number {
  const counts = new Float64Array(DOORS.length * COMMANDS.length);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) counts[(i % 3) * 5 + (i & 3)]!++;
  const t = performance.now() - t0;
  if (counts[0]! < 0) throw new Error("unreachable");
  return (t * 1e6) / n;
}

/** A labelled counter as prom-client keeps one: a Map from the labels' canonical string. */
class LabelledCounter {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  inc(labels: Record<string, string>, by = 1): void {
    const key = Object.keys(labels)
      .sort()
      .map((k) => `${k}:${labels[k]}`)
      .join(",");
    const v = this.values.get(key);
    if (v) v.value += by;
    else this.values.set(key, { labels, value: by });
  }
}

function labelled(n: number): number {
  const c = new LabelledCounter();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) c.inc({ door: DOORS[i % 3]!, command: COMMANDS[i & 3]! });
  return ((performance.now() - t0) * 1e6) / n;
}

function observe(n: number): number {
  const h = new Histogram(LATENCY_BOUNDS, new Float64Array(Histogram.cells([...LATENCY_BOUNDS])));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const began = performance.now();
    h.observe((performance.now() - began) / 1000);
  }
  return ((performance.now() - t0) * 1e6) / n;
}

/** The real prom-client, when --prom-client names one: its labelled counter and histogram, ns per call. */
interface PromClient {
  Registry: new () => unknown;
  Counter: new (o: { name: string; help: string; labelNames: string[]; registers: unknown[] }) => { inc(labels: Record<string, string>): void };
  Histogram: new (o: { name: string; help: string; labelNames: string[]; buckets: number[]; registers: unknown[] }) => { observe(labels: Record<string, string>, v: number): void };
}

function promClient(pc: PromClient, n: number): { incNs: number; observeNs: number } {
  const registry = new pc.Registry();
  const c = new pc.Counter({ name: "bench_commands_total", help: "x", labelNames: ["door", "command"], registers: [registry] });
  const h = new pc.Histogram({ name: "bench_ack_seconds", help: "x", labelNames: ["door", "command"], buckets: [...LATENCY_BOUNDS], registers: [registry] });
  let t0 = performance.now();
  for (let i = 0; i < n; i++) c.inc({ door: DOORS[i % 3]!, command: COMMANDS[i & 3]! });
  const incNs = ((performance.now() - t0) * 1e6) / n;
  t0 = performance.now();
  for (let i = 0; i < n; i++) h.observe({ door: DOORS[i % 3]!, command: COMMANDS[i & 3]! }, (i & 1023) * 1e-5);
  return { incNs, observeNs: ((performance.now() - t0) * 1e6) / n };
}

async function micro(): Promise<{ typedNs: number; labelledNs: number; observeNs: number; promClientIncNs: number | null; promClientObserveNs: number | null }> {
  const reps = 5;
  const typed: number[] = [];
  const lab: number[] = [];
  const obs: number[] = [];
  const pcInc: number[] = [];
  const pcObs: number[] = [];
  const pc = PROM_CLIENT === null ? null : ((await import(PROM_CLIENT)) as { default?: PromClient } & PromClient);
  const client = pc === null ? null : (pc.Counter ? pc : pc.default!);
  // Alternate, so drift on a shared host falls on all alike.
  for (let r = 0; r < reps; r++) {
    typed.push(typedArray(INCREMENTS));
    lab.push(labelled(Math.max(1, INCREMENTS / 10)));
    obs.push(observe(Math.max(1, INCREMENTS / 10)));
    if (client !== null) {
      const p = promClient(client, Math.max(1, INCREMENTS / 10));
      pcInc.push(p.incNs);
      pcObs.push(p.observeNs);
    }
  }
  return { typedNs: median(typed), labelledNs: median(lab), observeNs: median(obs), promClientIncNs: client ? median(pcInc) : null, promClientObserveNs: client ? median(pcObs) : null };
}

// ---- 2. full path ---------------------------------------------------------------------------

interface Trial {
  on: boolean;
  rate: number;
  p50: number;
  p99: number;
  p999: number;
}

async function trial(on: boolean): Promise<Trial> {
  const config = loadConfig(join(import.meta.dir, "../config/demo.json"));
  config.metrics = { enabled: on };
  config.history = { ...config.history, enabled: false };
  config.fix = { ...config.fix, enabled: false };
  config.gateway = { ...config.gateway, maxOrdersPerSecond: 1e9 };
  for (const t of config.exchange.tiers) {
    delete t.rateCount;
    delete t.rateWindowUs;
  }
  const spec = config.exchange.instruments.find((i) => i.symbol === "BTC-USD")!;
  const inst = makeInstrument(spec);
  const price = parsePrice(inst, "29000");
  const qty = parseQty(inst, "0.001");
  if (!price.ok || !qty.ok) throw new Error("bench: the order's price or quantity does not fit BTC-USD");
  const dir = mkdtempSync(join(tmpdir(), "bourse-bench-metrics-"));
  const ex = await new BourseExchange({ dataDir: dir, config, workers: 0, port: 0, log: silentLogger }).start();
  try {
    const oe = ex.orderEntry!;
    const total = WARMUP + ORDERS;
    const sent = new Float64Array(total + 1);
    const lat = new Float64Array(ORDERS);
    let answered = 0;
    let failed = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => (done = r));
    let firstTimed = 0;
    let lastTimed = 0;
    const answer = (requestId: number, ok: boolean) => {
      const now = performance.now();
      if (!ok) failed++;
      if (requestId > WARMUP) {
        lat[requestId - WARMUP - 1] = now - sent[requestId]!;
        lastTimed = now;
      }
      if (++answered === total) done();
      // Closed loop: the next burst goes once this one is answered, so latency is a round trip, not a queue.
      else if (answered === next - 1) setImmediate(pump);
    };
    const reports: OrderReports = {
      accepted: (r) => answer(r.requestId, true),
      rejected: (r) => answer(r.requestId, false),
      duplicate: () => false,
      status: () => {},
      filled: () => {},
      cancelled: () => {},
      amended: () => {},
      triggered: () => {},
      massCancelDone: () => {},
      pendingCancel: () => {},
      stateChanged: () => {},
    };
    const session: OrderSession = { id: oe.sessionId(), doorId: Door.WS, account: 1, cancelOnDisconnect: false, reports };
    oe.attach(session);
    const order: NewOrderRequest = { symbol: inst.id, side: Side.BUY, orderType: OrderType.LIMIT, tif: TimeInForce.IOC, stp: StpMode.CANCEL_NEWEST, flags: 0, price: price.value, stopPrice: 0, qty: qty.value, expireTime: 0, clientOrderId: "" };
    let next = 1;
    const pump = () => {
      const end = Math.min(total, next + BURST - 1);
      for (; next <= end; next++) {
        if (next === WARMUP + 1) firstTimed = performance.now();
        sent[next] = performance.now();
        oe.newOrder(session, next, order);
      }
    };
    pump();
    await finished;
    if (failed > 0) throw new Error(`bench: ${failed} orders were rejected; the run measures accepted orders only`);
    const sorted = lat.sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { on, rate: ORDERS / ((lastTimed - firstTimed) / 1000), p50: at(0.5), p99: at(0.99), p999: at(0.999) };
  } finally {
    await ex.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fullPath(): Promise<Trial[]> {
  const out: Trial[] = [];
  for (let t = 0; t < TRIALS; t++) {
    // Rotate which goes first, so a warming or loaded host falls on both alike.
    const order = t % 2 === 0 ? [true, false] : [false, true];
    for (const on of order) {
      const r = await trial(on);
      log(`trial ${t + 1}/${TRIALS} metrics ${on ? "on " : "off"}: ${int(r.rate)} orders/s, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, p99.9 ${r.p999.toFixed(3)} ms`);
      out.push(r);
    }
  }
  return out;
}

const m = await micro();
log(`micro: typed array ${m.typedNs.toFixed(2)} ns/inc, labelled ${m.labelledNs.toFixed(1)} ns/inc, ack observation ${m.observeNs.toFixed(1)} ns${m.promClientIncNs === null ? "" : `, prom-client inc ${m.promClientIncNs.toFixed(1)} ns, observe ${m.promClientObserveNs!.toFixed(1)} ns`}`);
const trials = await fullPath();
const side = (on: boolean) => {
  const ts = trials.filter((t) => t.on === on);
  return { rate: median(ts.map((t) => t.rate)), p50: median(ts.map((t) => t.p50)), p99: median(ts.map((t) => t.p99)), p999: median(ts.map((t) => t.p999)) };
};
const on = side(true);
const off = side(false);
if (JSON_OUT) {
  console.log(JSON.stringify({ orders: ORDERS, warmup: WARMUP, burst: BURST, trials: TRIALS, micro: m, on, off, ratio: { rate: on.rate / off.rate, p50: on.p50 / off.p50, p99: on.p99 / off.p99, p999: on.p999 / off.p999 } }));
} else {
  console.log(`\nCounter increments (${int(INCREMENTS)} typed, ${int(INCREMENTS / 10)} labelled; median of 5)`);
  console.log(table(["way", "ns per increment", "ratio"], [
    ["typed array, small-integer index", m.typedNs.toFixed(2), "1.0"],
    ["labelled stand-in (sorted key string, Map)", m.labelledNs.toFixed(1), (m.labelledNs / m.typedNs).toFixed(0)],
    ["ack observation (2 × performance.now + bucket)", m.observeNs.toFixed(1), "–"],
    ...(m.promClientIncNs === null
      ? []
      : [
          ["prom-client Counter.inc(labels)", m.promClientIncNs.toFixed(1), (m.promClientIncNs / m.typedNs).toFixed(0)],
          ["prom-client Histogram.observe(labels, v)", m.promClientObserveNs!.toFixed(1), "–"],
        ]),
  ]));
  console.log(`\nFull path: order entry → journal (fsync) → ack, workers 0, ${int(ORDERS)} IOC orders after ${int(WARMUP)} warm-up, ${BURST} a turn; median of ${TRIALS} trials each`);
  console.log(table(["metrics", "orders/s", "p50 ms", "p99 ms", "p99.9 ms"], [
    ["off", int(off.rate), off.p50.toFixed(3), off.p99.toFixed(3), off.p999.toFixed(3)],
    ["on", int(on.rate), on.p50.toFixed(3), on.p99.toFixed(3), on.p999.toFixed(3)],
    ["on / off", (on.rate / off.rate).toFixed(3), (on.p50 / off.p50).toFixed(3), (on.p99 / off.p99).toFixed(3), (on.p999 / off.p999).toFixed(3)],
  ]));
}
