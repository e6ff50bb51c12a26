/**
 * bench/deadlines.ts — how late the runtime's deadline timer (actors/deadline-timer.ts) makes a
 * GTD order expire when nothing else moves engine time.
 *
 *   bun run bench/deadlines.ts                 # ~15 s: baseline, Runtime (fsync on), WebSocket door
 *   bun run bench/deadlines.ts --n 1000 --gap-ms 20 --json
 *   bun run bench/deadlines.ts --no-ws         # the Runtime alone
 *
 * One schedule of N deadlines, `gap` ms apart, starting 500 ms after setup; every deadline is its
 * own GTD order (1 lot on BTC-USD, placed up front, none crossing), so each expiry is one TICK the
 * timer sends with no other traffic. Three phases run one after the other on the same schedule
 * (shifted to start after the previous phase), so none perturbs another:
 *
 * - baseline: a bare setTimeout per deadline, armed as the timer arms (ceil to whole ms): the
 *   host's own timer lateness, the floor under the rest.
 * - runtime: a real Runtime in a temp directory, fsync on, engine on the main thread. `stamped` =
 *   the TICK's engine time − the deadline (when the sequencer stamped it); `delivered` = when the
 *   EXPIRED delivery reached a listener (after the fdatasync) − the deadline.
 * - ws: the same through serve() on port 0 and the SDK: `stamped` = the report's engine time −
 *   the deadline, `delivered` = when the client read the EXPIRED report − the deadline.
 *
 * All times are the wall clock in µs (performance.timeOrigin + performance.now()); figures in ms.
 */
import { silentLogger } from "../log/logger.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wallMicros } from "../actors/clock.ts";
import { loadConfig } from "../app/config.ts";
import { BourseExchange } from "../app/exchange.ts";
import { DEADLINE_TOKEN } from "../actors/deadline-timer.ts";
import { CommandType, makeCommand, Side, TimeInForce } from "../engine/commands.ts";
import { EVENT_WIDTH, EventType, F } from "../engine/events.ts";
import { OrderState } from "../engine/orders.ts";
import { BourseClient } from "../client/client.ts";
import { serve } from "../app/serve.ts";
import { exitOnHelp, flagOr } from "./kit/args.ts";

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => flagOr(args, name, dflt);
exitOnHelp(args, "usage: bun run bench/deadlines.ts [--n DEADLINES] [--gap-ms MS] [--no-ws] [--json]");
const N = flag("--n", 150);
const GAP_US = flag("--gap-ms", 25) * 1000;
const LEAD_US = 500_000;
const json = args.includes("--json");
const withWs = !args.includes("--no-ws");
if (!Number.isInteger(N) || N < 1 || !(GAP_US >= 1000)) throw new Error("--n must be a positive integer and --gap-ms at least 1");

const config = loadConfig(join(import.meta.dir, "../config/demo.json"));
const BTC = 1;

/** N deadlines from `start`, gap apart. */
const schedule = (start: number) => Array.from({ length: N }, (_, k) => start + k * GAP_US);

interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Exact percentiles (nearest rank) of lateness in µs, reported in ms. */
function summarize(lateUs: number[]): Summary {
  const s = [...lateUs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! / 1000;
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1]! / 1000 };
}

/** Resolves when `left` reaches 0 through `done()`, or fails naming what was missing. */
function countdown(left: number, what: () => string, ms: number): { done(): void; promise: Promise<void> } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  const guard = setTimeout(() => reject(new Error(`timed out waiting for ${what()}`)), ms);
  if (left === 0) resolve();
  return {
    promise,
    done() {
      if (--left === 0) {
        clearTimeout(guard);
        resolve();
      }
    },
  };
}

/** The host's timer lateness for the schedule, armed the way DeadlineTimer arms (one at a time, ceil to ms). */
async function baseline(): Promise<{ fired: Summary }> {
  const due = schedule(wallMicros() + LEAD_US);
  const late: number[] = [];
  const all = countdown(N, () => `${N - late.length} baseline timers`, LEAD_US / 1000 + (N * GAP_US) / 1000 + 10_000);
  let k = 0;
  const arm = () => {
    const ms = Math.max(0, Math.ceil((due[k]! - wallMicros()) / 1000));
    setTimeout(fire, ms);
  };
  const fire = () => {
    const now = wallMicros();
    // An early timer re-arms, as the deadline timer does.
    if (now < due[k]!) return arm();
    late.push(now - due[k]!);
    all.done();
    if (++k < N) arm();
  };
  arm();
  await all.promise;
  return { fired: summarize(late) };
}

/** A real Runtime, fsync on: the timer's TICKs expire one GTD order each. */
async function runtime(): Promise<{ stamped: Summary; delivered: Summary; ticks: number }> {
  const dir = mkdtempSync(join(tmpdir(), "bourse-bench-deadlines-"));
  // The exchange without doors (app/exchange.ts): the engine on this thread, the accounts seeded.
  const exchange = await new BourseExchange({ config, dataDir: dir, workers: 0, doors: false, fsync: true, log: silentLogger }).start();
  const rt = exchange.engine.runtime!;
  try {

    const due = schedule(wallMicros() + LEAD_US);
    const deadlineOf = new Map<number, number>();
    const stamped: number[] = [];
    const delivered: number[] = [];
    let ticks = 0;
    const expired = countdown(N, () => `${N - stamped.length} expiries`, LEAD_US / 1000 + (N * GAP_US) / 1000 + 30_000);
    rt.onDelivery((seq, token, out, from, to, time) => {
      if (token > 0 && token <= N) {
        // The order's ACCEPTED: its id is what EXPIRED will name.
        for (let i = from; i < to; i++) if (out.data[i * EVENT_WIDTH + F.TYPE] === EventType.ACCEPTED) deadlineOf.set(out.data[i * EVENT_WIDTH + F.ORDER_ID]!, due[token - 1]!);
        return;
      }
      if (token !== DEADLINE_TOKEN) return;
      ticks++;
      const now = wallMicros();
      for (let i = from; i < to; i++) {
        const b = i * EVENT_WIDTH;
        if (out.data[b + F.TYPE] !== EventType.EXPIRED) continue;
        const d = deadlineOf.get(out.data[b + F.ORDER_ID]!);
        if (d === undefined) continue;
        stamped.push(time - d);
        delivered.push(now - d);
        expired.done();
      }
      void seq;
    });
    for (let k = 0; k < N; k++) {
      rt.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: BTC, side: Side.BUY, price: 59_000 - (k % 1000), qty: 1, tif: TimeInForce.GTD, expireTime: due[k]! }), k + 1);
    }
    await expired.promise;
    return { stamped: summarize(stamped), delivered: summarize(delivered), ticks };
  } finally {
    await exchange.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same through the WebSocket door: what a client sees. */
async function websocket(): Promise<{ stamped: Summary; delivered: Summary }> {
  const dir = mkdtempSync(join(tmpdir(), "bourse-bench-deadlines-ws-"));
  const running = await serve({ dataDir: dir, config, workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: silentLogger });
  const client = await BourseClient.connect(running.gateway.url);
  try {
    const key = config.accounts![0]!.apiKeys![0]!;
    await client.login(key.id, key.secret);
    const due = schedule(wallMicros() + LEAD_US);
    const deadlineOf = new Map<number, number>();
    const stamped: number[] = [];
    const delivered: number[] = [];
    const expired = countdown(N, () => `${N - stamped.length} EXPIRED reports`, LEAD_US / 1000 + (N * GAP_US) / 1000 + 30_000);
    void (async () => {
      for await (const r of client.reports()) {
        const now = wallMicros();
        const rep = r as { orderId?: number; state?: number; time?: number };
        if (rep.state !== OrderState.EXPIRED || rep.orderId === undefined) continue;
        const d = deadlineOf.get(rep.orderId);
        if (d === undefined) continue;
        stamped.push(rep.time! - d);
        delivered.push(now - d);
        expired.done();
      }
    })();
    // Placed up front, well before the first deadline (the lead covers it).
    const acks = await Promise.all(due.map((expireTime, k) => client.placeOrder({ symbol: "BTC-USD", side: "buy", price: String(29_500 - (k % 1000) * 0.5), qty: "0.001", tif: "GTD", expireTime })));
    acks.forEach((a, k) => deadlineOf.set((a as { orderId: number }).orderId, due[k]!));
    if (wallMicros() > due[0]!) throw new Error("placing the orders took longer than the lead: use a smaller --n");
    await expired.promise;
    return { stamped: summarize(stamped), delivered: summarize(delivered) };
  } finally {
    client.close();
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (s: Summary) => `p50 ${s.p50.toFixed(2)}  p99 ${s.p99.toFixed(2)}  max ${s.max.toFixed(2)} ms`;
const started = performance.now();
const base = await baseline();
const rt = await runtime();
const ws = withWs ? await websocket() : null;
const result = { n: N, gapMs: GAP_US / 1000, baseline: base, runtime: rt, ws, seconds: (performance.now() - started) / 1000 };
if (json) {
  console.log(JSON.stringify(result));
} else {
  console.log(`deadlines: ${N} GTD expiries ${GAP_US / 1000} ms apart, lateness after the deadline (${Bun.version}, ${result.seconds.toFixed(1)} s)`);
  console.log(`  baseline setTimeout          fired      ${fmt(base.fired)}`);
  console.log(`  Runtime, fsync on            stamped    ${fmt(rt.stamped)}`);
  console.log(`                               delivered  ${fmt(rt.delivered)}   (${rt.ticks} timer commands)`);
  if (ws) {
    console.log(`  WebSocket door (serve)       stamped    ${fmt(ws.stamped)}`);
    console.log(`                               delivered  ${fmt(ws.delivered)}`);
  }
}
process.exit(0);
