/**
 * bench/ws.ts, market-data fan-out: the gateway and raw publish alternating rate by rate, S
 * subscribers each, lag measured from each command's scheduled send (see bench/ws.ts).
 */
import { join } from "node:path";
import { loadConfig } from "../app/config.ts";
import { formatPrice, formatQty, makeInstrument } from "../engine/instrument.ts";
import { BourseClient } from "../client/client.ts";
import { Channel, encodeSubscribe, FrameWriter, MessageType } from "../protocol/index.ts";
import { CrossingFlow, Driver, type RunResult } from "./ws-drive.ts";
import type { SubscriberStats } from "./ws-subscribers.ts";
import { connectWire, parseWsUrl, sleep, type WireConn } from "./kit/ws-wire.ts";
import { log } from "./kit/args.ts";
import { Child } from "./kit/child.ts";
import { hostBusy, hostTicks, int, ms } from "./kit/report.ts";
import { type Options, keyOf, ServerProc } from "./ws-options.ts";

// ---------------------------------------------------------------- fan-out

/** A subscriber in this process that only follows the sequence numbers (the step's bases). */
export class SeqProbe {
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

export interface FanStep {
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

export interface Fanout {
  name: string;
  connectMs: number;
  subscribers: number;
  steps: FanStep[];
  best: FanStep | null;
  /** Lowest failing rate (0: none failed up to the cap). */
  failedAt: number;
}

/** One server under fan-out: its subscribers (a group in the child), sequence probe and driver. */
export interface FanTarget extends Fanout {
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
export async function fanout(servers: { name: string; server: ServerProc; gateway: boolean }[], subs: Child, o: Options, clock: () => number, baseMs: number): Promise<Fanout[]> {
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

export function fanLine(s: FanStep): string {
  const st = s.stats;
  return `delivered ${int(s.deliveredPerS)}/s of ${int(s.offeredPerS)}/s, lag p50 ${ms(st.lag?.p50)} p99 ${ms(st.lag?.p99)} max ${ms(st.lag?.max)} ms, CPU server ${s.serverCpu.toFixed(2)} subscribers ${st.cpuShare.toFixed(2)} host ${s.hostCpu.toFixed(2)}, ${s.why}`;
}
