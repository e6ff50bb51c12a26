/**
 * WebSocket benchmark: the gateway end to end — order entry (NEW_ORDER → ACK over real sockets,
 * journaled with fdatasync) and market-data fan-out to 1,000 subscribers — each against a raw
 * Bun.serve baseline driven by the same harness: a binary echo server (the limit of order entry
 * through this harness) and `server.publish` of the same frames (the limit of fan-out).
 *
 *   bun run bench/ws.ts [--conns N] [--subscribers S] [--step-seconds D] [--half-seconds H]
 *                       [--probe-seconds P] [--fan-seconds F] [--fan-start CMDS_PER_S]
 *                       [--slo-ms MS] [--fan-slo-ms MS] [--lag-ms MS] [--window W] [--bisect K]
 *                       [--fan-bisect K] [--max-rate R] [--workers 0|1] [--no-fsync-off]
 *                       [--no-fanout] [--keep-limits] [--client-order-ids] [--dir BASE]
 *                       [--profile DIR] [--json] [--long]
 *
 * Processes: this one is the harness (drivers, schedule, timing); the servers run in child
 * processes (bench/ws-server.ts), the subscribers in another (bench/ws-subscribers.ts). All on
 * 127.0.0.1. Every latency is measured from the request's scheduled send time, on one clock
 * shared by the processes (bench/kit/ws-wire.ts, makeClock).
 *
 * Order entry (N connections, logins spread over the 4 demo accounts), per server:
 *   1. saturation probe: closed loop, W requests outstanding per connection;
 *   2. open-loop ladder (RestingFlow: resting 1-lot limit orders that never cross, and cancels of
 *      each connection's order placed ~lag-ms earlier, 1:1), from half the probe's rate, doubling
 *      until a step is not sustainable — every request answered, achieved ≥ 95% of offered,
 *      p99 ≤ slo-ms, the median of the last fifth ≤ max(3× the first fifth's, +5 ms) — then
 *      bisecting; a first failure is run again once (the host is shared and noisy);
 *   3. gateway only: half the highest sustainable rate, for longer (p99 at half); the echo server
 *      is also run at that rate (the harness's own floor there).
 * Servers: the gateway with fsync on (`serve()`, data directory under the OS temp dir), the echo
 * baseline, and last the gateway with fsync off. Books are emptied (MASS_CANCEL) between steps.
 *
 * Fan-out, gateway and raw publish alternating rate by rate (both servers up, S subscribers on
 * each, in one child process): one order-entry connection (alice) sends IOC orders that each
 * trade 1 lot with a big resting order (bob's bid, carol's ask, placed with the SDK before each
 * step and cancelled after), so each command publishes one L2_UPDATE and one TRADES frame, and
 * command k's frames carry the k-th sequence numbers after the step's base: lag = subscriber's
 * socket read − command k's scheduled send. Rates double from --fan-start until a step fails
 * (a frame missing, a subscriber cut off, p99 lag > fan-slo-ms, or delivery < 95% of offered),
 * then bisect.
 *
 * Progress goes to stderr; with --json the last line of stdout is one JSON object.
 */
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../app/config.ts";
import { formatPrice, formatQty, makeInstrument } from "../engine/instrument.ts";
import { BourseClient } from "../client/client.ts";
import { Channel, encodeSubscribe, FrameWriter, MessageType } from "../protocol/index.ts";
import { median } from "./kit/histogram.ts";
import { CrossingFlow, Driver, RestingFlow, type RunResult } from "./ws-drive.ts";
import type { SubscriberStats } from "./ws-subscribers.ts";
import { connectWire, makeClock, parseWsUrl, sleep, type WireConn } from "./kit/ws-wire.ts";
import { log, parseFlags } from "./kit/args.ts";
import { Child } from "./kit/child.ts";
import { hostBusy, hostTicks, int, latencyJson, ms, table } from "./kit/report.ts";

interface Options {
  conns: number;
  subscribers: number;
  stepSeconds: number;
  halfSeconds: number;
  probeSeconds: number;
  fanSeconds: number;
  fanStart: number;
  sloMs: number;
  fanSloMs: number;
  lagMs: number;
  window: number;
  /** Bisection steps after the doubling ladder first fails (order entry; fan-out). */
  bisect: number;
  fanBisect: number;
  /** Highest open-loop rate tried (requests/s). */
  maxRate: number;
  workers: number;
  fsyncOff: boolean;
  fanout: boolean;
  keepLimits: boolean;
  clientIds: boolean;
  dir: string;
  /** Run the server children under Bun's CPU profiler, a markdown profile per server in this directory. */
  profile: string | null;
  json: boolean;
  long: boolean;
}

function parseArgs(argv: string[]): Options {
  const long = argv.includes("--long");
  const o: Options = {
    conns: 8,
    subscribers: 1000,
    stepSeconds: long ? 3 : 1,
    halfSeconds: long ? 10 : 2,
    probeSeconds: long ? 3 : 1.5,
    fanSeconds: long ? 3 : 1,
    fanStart: 500,
    sloMs: 100,
    fanSloMs: 100,
    lagMs: 100,
    window: 64,
    bisect: long ? 3 : 2,
    fanBisect: long ? 3 : 2,
    maxRate: 8e6,
    workers: 0,
    fsyncOff: true,
    fanout: true,
    keepLimits: false,
    clientIds: false,
    dir: tmpdir(),
    profile: null,
    json: false,
    long,
  };
  parseFlags(argv, "usage: bun run bench/ws.ts [--conns N] [--subscribers S] [--step-seconds D] [--half-seconds H] [--probe-seconds P] [--fan-seconds F] [--fan-start CMDS_PER_S] [--slo-ms MS] [--fan-slo-ms MS] [--lag-ms MS] [--window W] [--bisect K] [--fan-bisect K] [--max-rate R] [--workers 0|1] [--no-fsync-off] [--no-fanout] [--keep-limits] [--client-order-ids] [--dir BASE] [--profile DIR] [--json] [--long]", {
    "--conns": (v) => (o.conns = Math.max(1, Math.floor(v.num()))),
    "--subscribers": (v) => (o.subscribers = Math.max(1, Math.floor(v.num()))),
    "--step-seconds": (v) => (o.stepSeconds = v.num()),
    "--half-seconds": (v) => (o.halfSeconds = v.num()),
    "--probe-seconds": (v) => (o.probeSeconds = v.num()),
    "--fan-seconds": (v) => (o.fanSeconds = v.num()),
    "--fan-start": (v) => (o.fanStart = Math.max(1, v.num())),
    "--slo-ms": (v) => (o.sloMs = v.num()),
    "--fan-slo-ms": (v) => (o.fanSloMs = v.num()),
    "--lag-ms": (v) => (o.lagMs = v.num()),
    "--window": (v) => (o.window = Math.max(1, Math.floor(v.num()))),
    "--bisect": (v) => (o.bisect = Math.floor(v.num())),
    "--fan-bisect": (v) => (o.fanBisect = Math.floor(v.num())),
    "--max-rate": (v) => (o.maxRate = v.num()),
    "--workers": (v) => (o.workers = v.num() === 1 ? 1 : 0),
    "--no-fsync-off": () => (o.fsyncOff = false),
    "--no-fanout": () => (o.fanout = false),
    "--keep-limits": () => (o.keepLimits = true),
    "--client-order-ids": () => (o.clientIds = true),
    "--dir": (v) => (o.dir = v.str()),
    "--profile": (v) => (o.profile = v.str()),
    "--json": () => (o.json = true),
    "--long": () => {},
  });
  return o;
}

const ACCOUNTS = ["alice", "bob", "carol", "dave"];
const keyOf = (name: string) => ({ id: `${name}-demo`, secret: `${name}-demo-secret-do-not-use-in-production` });

// ---------------------------------------------------------------- child processes

class ServerProc extends Child {
  url = "";

  static async start(kind: "gateway" | "baseline", o: Options, fsync = true): Promise<ServerProc> {
    // Bun writes the profile when the child exits, which it does on "stop".
    const prof = o.profile ? ["--cpu-prof-md", `--cpu-prof-dir=${o.profile}`, `--cpu-prof-name=${kind}-${fsync ? "fsync" : "nofsync"}-${Date.now()}.md`] : [];
    const s = new ServerProc([...prof, join(import.meta.dir, "ws-server.ts"), "--kind", kind, "--fsync", fsync ? "1" : "0", "--workers", String(o.workers), "--keep-limits", o.keepLimits ? "1" : "0", "--dir", o.dir]);
    const ready = await s.next("ready", 60_000);
    s.url = String(ready.url);
    return s;
  }
}

// ---------------------------------------------------------------- order entry

interface Step {
  run: RunResult;
  serverCpu: number;
  /** Busy cores of the whole machine during the run (every process, other tenants included). */
  hostCpu: number;
  /** Cancels sent before the ACK of the order they cancel was back (refused UNKNOWN_ORDER). */
  blind: number;
  ok: boolean;
  why: string;
  /** A failed step run again once (host noise); this is the second result. */
  retried: boolean;
}

interface OrderEntry {
  name: string;
  probe: Step;
  steps: Step[];
  best: Step | null;
  half: Step | null;
  /** The echo server at the gateway's half rate (harness floor); echo only. */
  atRate: Step | null;
  /** The ladder reached --max-rate without a failing step: `best` is a lower bound. */
  capped: boolean;
}

function verdict(r: RunResult, o: Options): { ok: boolean; why: string } {
  const why: string[] = [];
  if (r.answered < r.sent) why.push(`${r.sent - r.answered} unanswered`);
  if (r.achieved < 0.95 * r.offered) why.push(`achieved ${((100 * r.achieved) / r.offered).toFixed(0)}%`);
  if (r.all && r.all.p99 > o.sloMs * 1e6) why.push(`p99 > ${o.sloMs} ms`);
  if (r.p50Last > Math.max(3 * r.p50First, r.p50First + 5e6)) why.push("queue grows");
  if (r.errors > 0) why.push(`${r.errors} ERROR`);
  return { ok: why.length === 0, why: why.join(", ") || "ok" };
}

/**
 * One server's order entry: saturation probe, then an open-loop ladder from half the probe's rate,
 * doubling while steps are sustainable (halving if the first is not), then `bisect` steps at
 * geometric midpoints between the highest pass and the lowest failure; the first failing step is
 * run once more before it counts (a shared host stalls now and then). Then, for the gateway, half
 * of the highest sustainable rate, for longer.
 */
async function orderEntry(name: string, server: ServerProc, path: string, login: boolean, o: Options, clock: () => number, atRate = 0, halfRun = login): Promise<OrderEntry> {
  let driver = new Driver(clock, o.conns);
  const connect = async () => {
    await driver.open(parseWsUrl(server.url + path));
    if (login) await driver.login(Array.from({ length: o.conns }, (_, c) => keyOf(ACCOUNTS[c % 4]!)));
  };
  await connect();
  const config = loadConfig(join(import.meta.dir, "../config/demo.json"));
  const ref = config.exchange.instruments.find((i) => i.id === 1)!.referencePrice!;
  // Connections of accounts without a BTC position (dave) only buy.
  const holds = (config.accounts ?? []).map((a) => Object.keys(a.positions ?? {}).includes("BTC-USD"));
  const flow = new RestingFlow(
    ref,
    Array.from({ length: o.conns }, (_, c) => holds[c % 4] ?? false),
    o.clientIds,
  );
  const measure = async (f: () => Promise<RunResult>): Promise<Step> => {
    await server.cpuMark();
    const h0 = hostTicks();
    const run = await f();
    const hostCpu = hostBusy(h0, hostTicks());
    const serverCpu = await server.cpuShare();
    const blind = flow.blind;
    await driver.cleanup();
    const v = run.mode === "open" ? verdict(run, o) : { ok: true, why: "probe" };
    if (driver.lost > 0) {
      // Cut off by the server (its queue to us passed the backpressure limit): a failed step;
      // the next one gets fresh connections (the gateway cancels nothing on disconnect here,
      // so a mass cancel on the new sessions empties the book).
      v.why = `${driver.lost} connections closed by the server${v.ok ? "" : `, ${v.why}`}`;
      v.ok = false;
      driver.close();
      driver = new Driver(clock, o.conns);
      await connect();
      await driver.cleanup();
    }
    return { run, serverCpu, hostCpu, blind, ...v, retried: false };
  };
  const open = (rate: number, seconds: number) =>
    measure(() => {
      flow.lagSlots = Math.ceil(((o.lagMs / 1000) * rate) / o.conns);
      return driver.runOpen(flow, rate, seconds, 3000);
    });
  const show = (label: string, s: Step) => log(`  ${name} ${label}: ${stepLine(s)}`);

  log(`${name}: saturation probe (closed loop, ${o.window} outstanding × ${o.conns} connections, ${o.probeSeconds} s)`);
  flow.lagSlots = o.window + 8;
  const probe = await measure(() => driver.runClosed(flow, o.window, o.probeSeconds, Math.min(0.5, o.probeSeconds / 3)));
  show("probe", probe);
  const steps: Step[] = [];
  let best: Step | null = null;
  let retries = 1;
  const ladderStep = async (rate: number, label: string): Promise<Step> => {
    let s = await open(Math.round(rate), o.stepSeconds);
    show(label, s);
    if (!s.ok && retries > 0) {
      retries--;
      steps.push(s);
      s = { ...(await open(Math.round(rate), o.stepSeconds)), retried: true };
      show(`${label} (again)`, s);
    }
    steps.push(s);
    return s;
  };
  // Doubling from half the probe's rate until a step fails, then bisect (geometric midpoints).
  let lo = 0;
  let hi = 0;
  const start = Math.max(100, Math.round(probe.run.achieved * 0.5));
  // (The last doubling is clipped to --max-rate, so a server faster than that is tried at it.)
  for (let rate = start, i = 0; i < 16 && rate <= o.maxRate; rate = rate < o.maxRate ? Math.min(rate * 2, o.maxRate) : Infinity, i++) {
    const s = await ladderStep(rate, `${int(rate)}/s`);
    if (!s.ok) {
      hi = rate;
      break;
    }
    best = s;
    lo = rate;
  }
  if (!best) {
    for (let rate = start / 2, i = 0; !best && i < 6; rate /= 2, i++) {
      const s = await ladderStep(rate, `${int(rate)}/s`);
      if (s.ok) {
        best = s;
        lo = rate;
      } else hi = rate;
    }
  }
  for (let i = 0; i < o.bisect && best && hi > 0; i++) {
    const rate = Math.sqrt(lo * hi);
    const s = await ladderStep(rate, `${int(rate)}/s`);
    if (s.ok) {
      if (s.run.achieved > best.run.achieved) best = s;
      lo = rate;
    } else hi = rate;
  }
  let half: Step | null = null;
  if (halfRun && best) {
    const rate = Math.round(best.run.offered / 2);
    log(`${name}: half of the highest sustainable rate, ${int(rate)}/s for ${o.halfSeconds} s`);
    half = await open(rate, o.halfSeconds);
    show("half", half);
  }
  let at: Step | null = null;
  if (atRate > 0) {
    at = await open(atRate, Math.min(o.halfSeconds, o.stepSeconds));
    show(`at ${int(atRate)}/s`, at);
  }
  driver.close();
  return { name, probe, steps, best, half, atRate: at, capped: best !== null && hi === 0 };
}

// ---------------------------------------------------------------- fan-out

/** A subscriber in this process that only follows the sequence numbers (the step's bases). */
class SeqProbe {
  l2 = -1;
  trades = 0;
  conn!: WireConn;
  changes = 0;

  async open(url: string): Promise<void> {
    this.conn = await connectWire(parseWsUrl(url), (_c, b, at) => {
      const type = b[at + 1]!;
      if (type === MessageType.L2_SNAPSHOT || type === MessageType.L2_UPDATE || type === MessageType.TRADES) {
        const seq = new DataView(b.buffer, b.byteOffset + at + 6, 8).getFloat64(0, true);
        if (type === MessageType.TRADES) this.trades = seq;
        else this.l2 = seq;
        this.changes++;
      }
    });
    const w = new FrameWriter(64);
    this.conn.send(w.bytes, encodeSubscribe(w, { type: MessageType.SUBSCRIBE, requestId: 1, symbol: 1, channels: Channel.L2 | Channel.TRADES, depth: 10 }));
    this.conn.flush();
    const t = Date.now();
    while (this.l2 < 0 && Date.now() - t < 10_000) await sleep(5);
    if (this.l2 < 0) throw new Error("no L2 snapshot for the sequence probe");
  }

  /** Waits until nothing new has arrived for `quietMs`. */
  async settle(quietMs = 40): Promise<void> {
    let seen = -1;
    while (seen !== this.changes) {
      seen = this.changes;
      await sleep(quietMs);
    }
  }
}

interface FanStep {
  rate: number;
  count: number;
  stats: SubscriberStats;
  run: RunResult;
  /** Delivered frames per second over all subscribers: delivered / (last read − first scheduled send). */
  deliveredPerS: number;
  offeredPerS: number;
  serverCpu: number;
  hostCpu: number;
  mappingOk: boolean;
  ok: boolean;
  why: string;
  retried: boolean;
}

interface Fanout {
  name: string;
  connectMs: number;
  subscribers: number;
  steps: FanStep[];
  best: FanStep | null;
  /** Lowest failing rate (0: none failed up to the cap). */
  failedAt: number;
}

/** One server under fan-out: its subscribers (a group in the child), sequence probe and driver. */
interface FanTarget extends Fanout {
  server: ServerProc;
  gateway: boolean;
  group: number;
  url: string;
  probe: SeqProbe;
  driver: Driver;
  flow: CrossingFlow;
  lo: number;
  retries: number;
  done: boolean;
}

/**
 * Fan-out on several servers at once, their steps alternating at each rate (which goes first
 * alternates too), so that the host's load — a shared 2-core box — drifts over all of them alike.
 * Rates double from --fan-start while a server keeps up; then one step (--long: two) between its
 * highest pass and lowest failure. A server's first failure is run once more before it counts.
 */
async function fanout(servers: { name: string; server: ServerProc; gateway: boolean }[], subs: Child, o: Options, clock: () => number, baseMs: number): Promise<Fanout[]> {
  const config = loadConfig(join(import.meta.dir, "../config/demo.json"));
  const spec = config.exchange.instruments.find((i) => i.id === 1)!;
  const inst = makeInstrument(spec);
  const ref = spec.referencePrice!;
  const bid = ref - 1;
  const ask = ref + 1;
  const targets: FanTarget[] = [];
  for (const [group, sv] of servers.entries()) {
    const url = `${sv.server.url}/ws`;
    log(`${sv.name}: connecting ${o.subscribers} subscribers (in the subscriber process)`);
    const c = await subs.ask({ kind: "connect", group, url, n: o.subscribers, parallel: 64, baseMs }, "connected", 120_000);
    log(`  ${c.n} connected and subscribed (${c.subscribed} snapshots) in ${Math.round(c.ms as number)} ms`);
    const probe = new SeqProbe();
    await probe.open(url);
    const driver = new Driver(clock, 1);
    await driver.open(parseWsUrl(url));
    if (sv.gateway) await driver.login([keyOf("alice")]);
    targets.push({
      ...sv,
      group,
      url,
      probe,
      driver,
      flow: new CrossingFlow(bid, ask),
      connectMs: c.ms as number,
      subscribers: c.n as number,
      steps: [],
      best: null,
      failedAt: 0,
      lo: 0,
      retries: 1,
      done: false,
    });
  }
  const sdk = async (t: FanTarget, who: string, f: (c: BourseClient) => Promise<unknown>) => {
    const k = keyOf(who);
    const cl = await BourseClient.connect(t.url);
    try {
      await cl.login(k.id, k.secret);
      await f(cl);
    } finally {
      cl.close();
    }
  };
  let stepId = 0;
  const once = async (t: FanTarget, rate: number): Promise<FanStep> => {
    const count = Math.max(2, Math.round(rate * o.fanSeconds));
    if (t.gateway) {
      // The resting side of every trade, placed through the SDK; the connection then closes, so
      // the makers' execution reports go nowhere (the subscribers are what is measured).
      const lots = Math.ceil(count / 2) + 10;
      await sdk(t, "bob", (cl) => cl.placeOrder({ symbol: inst.symbol, side: "buy", price: formatPrice(inst, bid), qty: formatQty(inst, lots) }));
      await sdk(t, "carol", (cl) => cl.placeOrder({ symbol: inst.symbol, side: "sell", price: formatPrice(inst, ask), qty: formatQty(inst, lots) }));
    }
    await t.probe.settle();
    const l2Base = t.probe.l2;
    const tradesBase = t.probe.trades;
    const t0 = clock() + 300e6;
    const id = stepId++;
    await subs.ask({ kind: "step", group: t.group, id, t0, periodNs: 1e9 / rate, count, l2Base, tradesBase, cap: 2_000_000 }, "armed");
    if (clock() > t0) throw new Error("subscribers armed after the step's start");
    await t.server.cpuMark();
    const h0 = hostTicks();
    const run = await t.driver.runOpen(t.flow, rate, o.fanSeconds, 5000, t0);
    const st = (await subs.ask({ kind: "collect", group: t.group, id, waitMs: 5000 }, "stats", 60_000)).stats as SubscriberStats;
    const hostCpu = hostBusy(h0, hostTicks());
    const serverCpu = await t.server.cpuShare();
    await t.probe.settle();
    const mappingOk = t.probe.l2 - l2Base === count && t.probe.trades - tradesBase === count;
    if (t.gateway) {
      await sdk(t, "bob", (cl) => cl.massCancel(inst.symbol));
      await sdk(t, "carol", (cl) => cl.massCancel(inst.symbol));
    }
    const offeredPerS = rate * 2 * st.subscribers;
    const deliveredPerS = st.lastRecvNs > 0 ? st.delivered / ((Math.max(st.lastRecvNs, t0 + (count - 1) * (1e9 / rate)) - t0) / 1e9) : 0;
    const why: string[] = [];
    if (!mappingOk) why.push(`seq mapping off (L2 +${t.probe.l2 - l2Base}, TRADES +${t.probe.trades - tradesBase} for ${count} commands)`);
    if (st.delivered < st.expected) why.push(`${st.expected - st.delivered} frames missing`);
    if (st.closed > 0) why.push(`${st.closed} subscribers cut off`);
    if (st.gaps > 0) why.push(`${st.gaps} seq gaps`);
    if (st.lag && st.lag.p99 > o.fanSloMs * 1e6) why.push(`lag p99 > ${o.fanSloMs} ms`);
    if (deliveredPerS < 0.95 * offeredPerS) why.push(`delivered ${((100 * deliveredPerS) / offeredPerS).toFixed(0)}%`);
    if (run.answered < run.sent) why.push(`${run.sent - run.answered} orders unanswered`);
    if (run.rejects + run.errors > 0) why.push(`${run.rejects + run.errors} orders refused`);
    return { rate, count, stats: st, run, deliveredPerS, offeredPerS, serverCpu, hostCpu, mappingOk, ok: why.length === 0, why: why.join(", ") || "ok", retried: false };
  };
  const step = async (t: FanTarget, rate: number): Promise<FanStep> => {
    let s = await once(t, rate);
    log(`  ${t.name} ${int(rate)} cmds/s: ${fanLine(s)}`);
    // A subscriber cut off stays cut off: no second try then.
    if (!s.ok && t.retries > 0 && s.stats.closed === 0) {
      t.retries--;
      t.steps.push(s);
      s = { ...(await once(t, rate)), retried: true };
      log(`  ${t.name} ${int(rate)} cmds/s (again): ${fanLine(s)}`);
    }
    t.steps.push(s);
    if (s.ok) {
      if (!t.best || s.deliveredPerS > t.best.deliveredPerS) t.best = s;
      t.lo = Math.max(t.lo, rate);
    } else {
      t.failedAt = t.failedAt ? Math.min(t.failedAt, rate) : rate;
      if (s.stats.closed > 0) t.done = true;
    }
    return s;
  };
  // Funding bound: bob's bid must hold half a step's commands (1 lot each) in cash.
  const maxRate = Math.floor(28_000 / o.fanSeconds);
  let flip = false;
  for (let rate = o.fanStart; rate <= maxRate; rate *= 2) {
    const live = targets.filter((t) => !t.done && t.failedAt === 0);
    if (live.length === 0 || subs.proc.exitCode !== null) break;
    for (const t of flip ? [...live].reverse() : live) await step(t, rate);
    flip = !flip;
  }
  for (let i = 0; i < o.fanBisect; i++) {
    const live = targets.filter((t) => !t.done && t.lo > 0 && t.failedAt > 0);
    for (const t of flip ? [...live].reverse() : live) await step(t, Math.round(Math.sqrt(t.lo * t.failedAt)));
    flip = !flip;
  }
  for (const t of targets) {
    t.driver.close();
    t.probe.conn.close();
  }
  await subs.ask({ kind: "disconnect" }, "disconnected", 30_000);
  return targets.map((t) => ({ name: t.name, connectMs: t.connectMs, subscribers: t.subscribers, steps: t.steps, best: t.best, failedAt: t.failedAt }));
}

// ---------------------------------------------------------------- formatting

/** Highest delivered frames/s of any step in which every subscriber stayed connected. */
function peakOf(f: Fanout | null): number {
  if (!f) return NaN;
  let best = 0;
  for (const s of f.steps) if (s.stats.closed === 0 && s.mappingOk) best = Math.max(best, s.deliveredPerS);
  return best || NaN;
}

function stepLine(s: Step): string {
  const r = s.run;
  return `${r.mode === "open" ? `offered ${int(r.offered)}/s, ` : ""}achieved ${int(r.achieved)}/s, p50 ${ms(r.all?.p50)} p99 ${ms(r.all?.p99)} max ${ms(r.all?.max)} ms, late p99 ${ms(r.lateness?.p99)}, CPU server ${s.serverCpu.toFixed(2)} harness ${r.cpuShare.toFixed(2)} host ${s.hostCpu.toFixed(2)}${r.rejects ? `, ${r.rejects} refused` : ""}, ${s.why}`;
}

function fanLine(s: FanStep): string {
  const st = s.stats;
  return `delivered ${int(s.deliveredPerS)}/s of ${int(s.offeredPerS)}/s, lag p50 ${ms(st.lag?.p50)} p99 ${ms(st.lag?.p99)} max ${ms(st.lag?.max)} ms, CPU server ${s.serverCpu.toFixed(2)} subscribers ${st.cpuShare.toFixed(2)} host ${s.hostCpu.toFixed(2)}, ${s.why}`;
}

function rejectsText(r: RunResult): string {
  const n = r.rejects + r.errors;
  return n ? int(n) : "–";
}

function orderRows(oe: OrderEntry): string[][] {
  const row = (label: string, s: Step): string[] => {
    const r = s.run;
    return [
      label,
      r.mode === "open" ? int(r.offered) : "closed",
      int(r.achieved),
      ms(r.orders?.p50),
      ms(r.orders?.p90),
      ms(r.orders?.p99),
      ms(r.orders?.p99_9),
      ms(r.orders?.max),
      ms(r.cancels?.p99),
      rejectsText(r),
      s.serverCpu.toFixed(2),
      r.cpuShare.toFixed(2),
      s.hostCpu.toFixed(2),
      ms(r.lateness?.p99),
      r.mode === "open" ? (s.ok ? "ok" : s.why) + (s.retried ? " (2nd try)" : "") : "",
    ];
  };
  const rows = [row(`${oe.name} probe`, oe.probe), ...oe.steps.map((s) => row(`${oe.name}`, s))];
  if (oe.half) rows.push(row(`${oe.name} half`, oe.half));
  if (oe.atRate) rows.push(row(`${oe.name} @gw half`, oe.atRate));
  return rows;
}

const ORDER_HEADERS = ["server / step", "offered/s", "achieved/s", "ACK p50", "p90", "p99", "p99.9", "max", "cancel p99", "refused", "srv CPU", "hrn CPU", "host CPU", "late p99", "verdict"];

function fanRows(f: Fanout): string[][] {
  return f.steps.map((s) => {
    const st = s.stats;
    return [
      f.name,
      int(s.rate),
      int(s.offeredPerS),
      int(s.deliveredPerS),
      ms(st.lag?.p50),
      ms(st.lag?.p90),
      ms(st.lag?.p99),
      ms(st.lag?.p99_9),
      ms(st.lag?.max),
      ms(s.run.orders?.p99),
      s.serverCpu.toFixed(2),
      st.cpuShare.toFixed(2),
      s.hostCpu.toFixed(2),
      (s.ok ? "ok" : s.why) + (s.retried ? " (2nd try)" : ""),
    ];
  });
}

const FAN_HEADERS = ["server", "cmds/s", "offered frames/s", "delivered/s", "lag p50", "p90", "p99", "p99.9", "max", "ACK p99", "srv CPU", "subs CPU", "host CPU", "verdict"];

function stepJson(s: Step | null) {
  if (!s) return null;
  const r = s.run;
  return {
    mode: r.mode,
    offered_per_s: Math.round(r.offered),
    achieved_per_s: Math.round(r.achieved),
    sent: r.sent,
    answered: r.answered,
    acks: r.acks,
    cancelled: r.cancelled,
    rejects: r.rejects,
    errors: r.errors,
    echoes: r.echoes,
    refused: r.reasons,
    latency: latencyJson(r.all),
    ack_latency: latencyJson(r.orders),
    cancel_latency: latencyJson(r.cancels),
    send_lateness: latencyJson(r.lateness),
    ack_p99_ms_per_segment: r.segmentP99.map((x) => +(x / 1e6).toFixed(3)),
    blind_cancels: s.blind,
    server_cpu: +s.serverCpu.toFixed(3),
    harness_cpu: +r.cpuShare.toFixed(3),
    host_cpu: +s.hostCpu.toFixed(3),
    sustainable: r.mode === "open" ? s.ok : null,
    retried: s.retried,
    verdict: s.why,
  };
}

function oeJson(oe: OrderEntry | null) {
  if (!oe) return null;
  return {
    saturated_per_s: Math.round(oe.probe.run.achieved),
    max_sustainable_per_s: oe.best ? Math.round(oe.best.run.achieved) : null,
    max_sustainable_offered_per_s: oe.best ? Math.round(oe.best.run.offered) : null,
    max_rate_cap_reached: oe.capped,
    probe: stepJson(oe.probe),
    steps: oe.steps.map(stepJson),
    half: stepJson(oe.half),
    at_gateway_half_rate: stepJson(oe.atRate),
  };
}

function fanJson(f: Fanout | null) {
  if (!f) return null;
  const sj = (s: FanStep) => ({
    cmds_per_s: s.rate,
    commands: s.count,
    offered_frames_per_s: Math.round(s.offeredPerS),
    delivered_frames_per_s: Math.round(s.deliveredPerS),
    expected: s.stats.expected,
    delivered: s.stats.delivered,
    subscribers_alive: s.stats.alive,
    cut_off: s.stats.closed,
    gaps: s.stats.gaps,
    lag: latencyJson(s.stats.lag),
    lag_samples: s.stats.sampled,
    ack_latency: latencyJson(s.run.orders),
    server_cpu: +s.serverCpu.toFixed(3),
    subscribers_cpu: +s.stats.cpuShare.toFixed(3),
    host_cpu: +s.hostCpu.toFixed(3),
    seq_mapping_ok: s.mappingOk,
    sustainable: s.ok,
    retried: s.retried,
    verdict: s.why,
  });
  return {
    subscribers: f.subscribers,
    connect_ms: Math.round(f.connectMs),
    max_sustainable_cmds_per_s: f.best?.rate ?? null,
    max_sustainable_delivered_per_s: f.best ? Math.round(f.best.deliveredPerS) : null,
    peak_delivered_per_s: Number.isFinite(peakOf(f)) ? Math.round(peakOf(f)) : null,
    lowest_failing_cmds_per_s: f.failedAt || null,
    steps: f.steps.map(sj),
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const wall0 = performance.now();
  const baseMs = performance.timeOrigin;
  const clock = makeClock(baseMs);
  const nofile = (() => {
    try {
      const r = Bun.spawnSync(["sh", "-c", "ulimit -n"]);
      return Number(r.stdout.toString().trim());
    } catch {
      return NaN;
    }
  })();
  if (o.fanout && Number.isFinite(nofile) && nofile < 2 * o.subscribers + 256) throw new Error(`ulimit -n is ${nofile}: too low for ${o.subscribers} subscribers on each of two servers (the subscriber process holds ${2 * o.subscribers} sockets; each server ${o.subscribers}); raise it or pass --subscribers`);
  log(`bench/ws.ts: ${o.conns} order-entry connections, ${o.subscribers} subscribers, workers ${o.workers}, data under ${o.dir}, ulimit -n ${nofile}, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  const children: Child[] = [];
  const cleanupChildren = async () => {
    for (const c of children) await c.stop().catch(() => {});
  };
  process.on("SIGINT", () => {
    void cleanupChildren().then(() => process.exit(130));
  });

  let gw: OrderEntry | null = null;
  let echo: OrderEntry | null = null;
  let gwOff: OrderEntry | null = null;
  let fanGw: Fanout | null = null;
  let fanPub: Fanout | null = null;
  try {
    const subs = o.fanout ? new Child([join(import.meta.dir, "ws-subscribers.ts")]) : null;
    if (subs) {
      children.push(subs);
      await subs.next("ready");
    }

    // 1. Order entry: the gateway (fsync on), then the echo baseline (also at the gateway's half
    //    rate: the harness's floor there). Both servers stay up for the fan-out.
    log(`gateway (fsync on${o.workers ? ", engine in a worker" : ""}): starting`);
    const g = await ServerProc.start("gateway", o, true);
    children.push(g);
    const b = await ServerProc.start("baseline", o);
    children.push(b);
    gw = await orderEntry("gateway", g, "/ws", true, o, clock);
    echo = await orderEntry("echo", b, "/echo", false, o, clock, gw.half ? Math.round(gw.half.run.offered) : 0);

    // 2. Fan-out, gateway and raw publish alternating.
    if (subs) {
      const [fg, fp] = await fanout(
        [
          { name: "gateway", server: g, gateway: true },
          { name: "publish", server: b, gateway: false },
        ],
        subs,
        o,
        clock,
        baseMs,
      );
      fanGw = fg ?? null;
      fanPub = fp ?? null;
    }
    await g.stop();
    await b.stop();

    // 3. The gateway with fsync off.
    if (o.fsyncOff) {
      log("gateway (fsync OFF — not durable): starting");
      const g2 = await ServerProc.start("gateway", o, false);
      children.push(g2);
      gwOff = await orderEntry("gw-nofsync", g2, "/ws", true, { ...o, bisect: Math.min(o.bisect, o.long ? 3 : 1) }, clock, 0, false);
      await g2.stop();
    }
    await subs?.stop();
  } finally {
    await cleanupChildren();
  }
  const wall = (performance.now() - wall0) / 1000;

  // ------------------------------------------------------------ report
  const out: string[] = [];
  out.push(`bench/ws.ts — Bun ${Bun.version}, ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}, ${o.conns} connections, workers ${o.workers}${o.keepLimits ? ", demo limits kept" : ", rate/open-order limits lifted"}`);
  out.push("");
  out.push(`order entry: requests/s (resting 1-lot limits + cancels ${o.lagMs} ms later, 1:1${o.clientIds ? ", with client order ids" : ""}); latency ms from the scheduled send to the answer:`);
  out.push(`NEW_ORDER → ACK/REJECT (ACK columns) and CANCEL → CANCELLED/REJECT; for the echo, the request's own frame back`);
  out.push(`probe = closed loop, ${o.window} outstanding per connection; ladder = open loop, ${o.stepSeconds} s steps; sustainable = all answered, ≥ 95% achieved, p99 (all requests) ≤ ${o.sloMs} ms, no queue growth`);
  out.push(`refused = REJECT + ERROR answers; srv/hrn CPU = server / harness process CPU in cores; host CPU = busy cores of the whole VM (other tenants included); late p99 = the harness's own send lateness`);
  const rows = [...(gw ? orderRows(gw) : []), ...(echo ? orderRows(echo) : []), ...(gwOff ? orderRows(gwOff) : [])];
  out.push(table(ORDER_HEADERS, rows));
  out.push("");
  const sust = (x: OrderEntry | null) => (x?.best ? x.best.run.achieved : NaN);
  const ackRatio = sust(gw) / sust(echo);
  const satRatio = gw && echo ? gw.probe.run.achieved / echo.probe.run.achieved : NaN;
  const p99Half = gw?.half?.run.orders?.p99 ?? NaN;
  out.push(
    table(
      ["order entry", "saturated/s", "max sustainable/s", "at half: rate/s", "ACK p50", "ACK p99", "p99 of 0.5 s segments (median)", "ACK p99.9"],
      [gw, echo, gwOff]
        .filter((x): x is OrderEntry => x !== null)
        .map((x) => {
          const h = x.half ?? x.atRate;
          return [
            x.name,
            int(x.probe.run.achieved),
            x.best ? `${x.capped ? "≥ " : ""}${int(x.best.run.achieved)}` : "none",
            h ? int(h.run.offered) : "–",
            ms(h?.run.orders?.p50),
            ms(h?.run.orders?.p99),
            h ? ms(median(h.run.segmentP99)) : "–",
            ms(h?.run.orders?.p99_9),
          ];
        }),
    ),
  );
  out.push(`ack_ratio_vs_echo (max sustainable, gateway fsync on / echo) = ${echo?.capped ? "≤ " : ""}${ackRatio.toFixed(4)}${echo?.capped ? ` (echo never failed up to --max-rate ${int(o.maxRate)}/s: its limit is higher)` : ""}; saturated (closed loop) ratio = ${satRatio.toFixed(3)}`);
  if (gw?.half) out.push(`p99 ACK latency at half the max sustainable rate (${int(gw.half.run.offered)}/s): ${ms(p99Half)} ms (per 0.5 s segment: ${gw.half.run.segmentP99.map((x) => ms(x)).join(", ")}); the echo at that rate: ${ms(echo?.atRate?.run.orders?.p99)} ms`);
  let fanRatio = NaN;
  let fanPeakRatio = NaN;
  if (fanGw || fanPub) {
    out.push("");
    out.push(`fan-out: ${o.subscribers} subscribers (L2 + TRADES, one child process), one driver sending crossing IOC orders; 2 frames per command per subscriber; ${o.fanSeconds} s steps`);
    out.push("lag ms = subscriber's socket read − the command's scheduled send; sustainable = every frame delivered, nobody cut off, no gaps, p99 ≤ " + `${o.fanSloMs} ms, ≥ 95% delivered`);
    out.push(table(FAN_HEADERS, [...(fanGw ? fanRows(fanGw) : []), ...(fanPub ? fanRows(fanPub) : [])]));
    fanRatio = (fanGw?.best?.deliveredPerS ?? NaN) / (fanPub?.best?.deliveredPerS ?? NaN);
    const bound = (f: Fanout | null) => (f?.best && f.failedAt === 0 ? " (never failed: a lower bound)" : "");
    out.push(
      `max sustainable: gateway ${fanGw?.best ? `${int(fanGw.best.rate)} cmds/s = ${int(fanGw.best.deliveredPerS)} frames/s${bound(fanGw)}` : "none"}; publish ${fanPub?.best ? `${int(fanPub.best.rate)} cmds/s = ${int(fanPub.best.deliveredPerS)} frames/s${bound(fanPub)}` : "none"}`,
    );
    out.push(`fanout_ratio_vs_publish (max sustainable delivered frames/s, gateway / raw publish) = ${fanRatio.toFixed(3)}`);
    fanPeakRatio = peakOf(fanGw) / peakOf(fanPub);
    out.push(`peak delivered frames/s over all steps (overloaded ones too, no subscriber cut off): gateway ${int(peakOf(fanGw))}, publish ${int(peakOf(fanPub))}, ratio ${fanPeakRatio.toFixed(3)}`);
  }
  out.push("");
  out.push(`wall time ${wall.toFixed(1)} s`);
  console.log(out.join("\n"));

  if (o.json) {
    const json: Record<string, unknown> = {
      ack_ratio_vs_echo: Number.isFinite(ackRatio) ? +ackRatio.toFixed(4) : null,
      p99_ack_ms_at_half: Number.isFinite(p99Half) ? +(p99Half / 1e6).toFixed(3) : null,
      fanout_ratio_vs_publish: Number.isFinite(fanRatio) ? +fanRatio.toFixed(4) : null,
      ack_ratio_vs_echo_saturated: Number.isFinite(satRatio) ? +satRatio.toFixed(4) : null,
      echo_max_rate_cap_reached: echo?.capped ?? null,
      fanout_ratio_vs_publish_peak: Number.isFinite(fanPeakRatio) ? +fanPeakRatio.toFixed(4) : null,
      half_rate_per_s: gw?.half ? Math.round(gw.half.run.offered) : null,
      p99_ms_at_half_all_requests: gw?.half?.run.all ? +(gw.half.run.all.p99 / 1e6).toFixed(3) : null,
      p99_ack_ms_at_half_segment_median: gw?.half ? +(median(gw.half.run.segmentP99) / 1e6).toFixed(3) : null,
      p99_ack_ms_at_half_echo: echo?.atRate?.run.orders ? +(echo.atRate.run.orders.p99 / 1e6).toFixed(3) : null,
      order_entry_gateway: oeJson(gw),
      order_entry_echo: oeJson(echo),
      order_entry_gateway_fsync_off: oeJson(gwOff),
      fanout_gateway: fanJson(fanGw),
      fanout_publish: fanJson(fanPub),
      conns: o.conns,
      subscribers: o.subscribers,
      workers: o.workers,
      limits_lifted: !o.keepLimits,
      client_order_ids: o.clientIds,
      slo_ms: o.sloMs,
      fan_slo_ms: o.fanSloMs,
      lag_ms: o.lagMs,
      window: o.window,
      step_seconds: o.stepSeconds,
      fan_seconds: o.fanSeconds,
      bun: Bun.version,
      cores: cpus().length,
      ulimit_n: nofile,
      wall_s: +wall.toFixed(1),
    };
    console.log(JSON.stringify(json));
  }
}

await main();
