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
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { median } from "./kit/histogram.ts";
import { makeClock } from "./kit/ws-wire.ts";
import { log } from "./kit/args.ts";
import { Child } from "./kit/child.ts";
import { int, ms, table } from "./kit/report.ts";
import { parseArgs, ServerProc } from "./ws-options.ts";
import { type OrderEntry, orderEntry } from "./ws-order-entry.ts";
import { type Fanout, fanout } from "./ws-fanout.ts";
import { peakOf, orderRows, ORDER_HEADERS, fanRows, FAN_HEADERS, oeJson, fanJson } from "./ws-report.ts";

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
