/**
 * bench/ws.ts, order entry: a saturation probe, then an open-loop ladder doubling and bisecting
 * to the highest sustainable rate, then half that rate for longer (see bench/ws.ts).
 */
import { join } from "node:path";
import { loadConfig } from "../app/config.ts";
import { Driver, RestingFlow, type RunResult } from "./ws-drive.ts";
import { parseWsUrl } from "./kit/ws-wire.ts";
import { log } from "./kit/args.ts";
import { hostBusy, hostTicks, int, ms } from "./kit/report.ts";
import { type Options, ACCOUNTS, keyOf, ServerProc } from "./ws-options.ts";

// ---------------------------------------------------------------- order entry

export interface Step {
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

export interface OrderEntry {
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

export function verdict(r: RunResult, o: Options): { ok: boolean; why: string } {
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
export async function orderEntry(name: string, server: ServerProc, path: string, login: boolean, o: Options, clock: () => number, atRate = 0, halfRun = login): Promise<OrderEntry> {
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

export function stepLine(s: Step): string {
  const r = s.run;
  return `${r.mode === "open" ? `offered ${int(r.offered)}/s, ` : ""}achieved ${int(r.achieved)}/s, p50 ${ms(r.all?.p50)} p99 ${ms(r.all?.p99)} max ${ms(r.all?.max)} ms, late p99 ${ms(r.lateness?.p99)}, CPU server ${s.serverCpu.toFixed(2)} harness ${r.cpuShare.toFixed(2)} host ${s.hostCpu.toFixed(2)}${r.rejects ? `, ${r.rejects} refused` : ""}, ${s.why}`;
}
