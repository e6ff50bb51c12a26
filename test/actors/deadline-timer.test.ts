import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wallMicros } from "../../actors/clock.ts";
import { loadConfig, seedCommands } from "../../app/config.ts";
import { DEADLINE_TOKEN } from "../../actors/deadline-timer.ts";
import { recover, stateHash } from "../../actors/recovery.ts";
import { Runtime } from "../../actors/runtime.ts";
import type { Delivery, Sequencer } from "../../actors/sequencer.ts";
import { WorkerHost } from "../../actors/worker-host.ts";
import { CommandType, makeCommand, Side, TimeInForce } from "../../engine/commands.ts";
import { Accepted, EventType, Expired } from "../../engine/events.ts";
import { readDeliveries } from "../../actors/delivered-events.ts";
import { MarketState } from "../../engine/book.ts";
import { Reason } from "../../engine/reasons.ts";

// Waits below are hang guards (a missing event fails with its name), not latency bounds.
setDefaultTimeout(30_000);

const config = loadConfig(join(import.meta.dir, "../../config/demo.json"));
const BTC = 1;
const ETH = 2;
const dirs: string[] = [];
const closers: (() => unknown)[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "bourse-deadline-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function startRuntime(extra: Partial<Parameters<typeof Runtime.start>[0]> = {}, exchange = config.exchange): Runtime {
  const rt = Runtime.start({ config: exchange, dataDir: dataDir(), ...extra });
  closers.push(() => rt.close());
  return rt;
}

interface Seen {
  seq: number;
  token: number;
  time: number;
  /** [type, symbol, orderId, a] of each event. */
  events: number[][];
}

/**
 * Resolves with the first delivery `match` accepts; rejects after `ms` so a missing one fails and
 * says so. A hang guard, not a latency bound: lateness is measured in bench/deadlines.ts.
 */
function nextDelivery(seq: Sequencer, what: string, match: (s: Seen) => boolean, ms = 10_000): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no delivery within ${ms} ms: ${what}`));
    }, ms);
    const listener: Delivery = readDeliveries((r) => {
      // [type, symbol, order id, reason]: the order's id and the reason of an ACCEPTED or EXPIRED.
      const events: number[][] = [];
      while (r.next()) {
        const t = r.type;
        const id = t === EventType.ACCEPTED ? Accepted.orderId(r.data, r.at) : t === EventType.EXPIRED ? Expired.orderId(r.data, r.at) : 0;
        events.push([t, r.symbol, id, t === EventType.EXPIRED ? Expired.reason(r.data, r.at) : 0]);
      }
      const seen = { seq: r.seq, token: r.token, time: r.time, events };
      if (!match(seen)) return;
      clearTimeout(timer);
      off();
      resolve(seen);
    });
    const off = seq.onDelivery(listener);
  });
}

const expiredOf = (orderId: number) => (s: Seen) => s.events.some((e) => e[0] === EventType.EXPIRED && e[2] === orderId);

/** Seeds the demo accounts and resolves once they are delivered. */
async function seed(seq: Sequencer): Promise<void> {
  const cmds = seedCommands(config);
  const done = nextDelivery(seq, "the seed commands", (s) => s.token === cmds.length);
  cmds.forEach((c, i) => seq.submit(c, i + 1));
  await done;
}

/** Places a buy and resolves with its order id once accepted. */
async function buy(seq: Sequencer, symbol: number, price: number, tif: number, expireTime = 0, token = 9001): Promise<number> {
  const accepted = nextDelivery(seq, `order ${token} accepted`, (s) => s.token === token);
  seq.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol, side: Side.BUY, price, qty: 1, tif, expireTime }), token);
  const s = await accepted;
  const ev = s.events.find((e) => e[0] === EventType.ACCEPTED);
  expect(ev, `order ${token} was not accepted: ${JSON.stringify(s.events)}`).toBeDefined();
  return ev![2]!;
}

/**
 * Seeds `seq`, places a GTD buy due in 200 ms and waits for its EXPIRED: it must come from the
 * timer's journaled TICK, stamped at or after the deadline, as the next command after the order.
 * Returns the order id.
 */
async function expectTimedExpiry(seq: Sequencer): Promise<number> {
  await seed(seq);
  const expireTime = wallMicros() + 200_000;
  const id = await buy(seq, BTC, 59_000, TimeInForce.GTD, expireTime);
  const expired = await nextDelivery(seq, `EXPIRED of GTD order ${id}`, expiredOf(id));
  expect(expired.token).toBe(DEADLINE_TOKEN);
  expect(expired.time).toBeGreaterThanOrEqual(expireTime);
  // How late is measured in bench/deadlines.ts, never asserted: only that it came by itself.
  expect(expired.seq, "a command other than the timer's TICK ran before the expiry").toBe(id + 1);
  return id;
}

describe("the runtime's deadline timer", () => {
  test("a GTD order expires at its time with no other command: a journaled TICK, stamped at or after the deadline", async () => {
    const rt = startRuntime();
    const id = await expectTimedExpiry(rt);
    expect(rt.exchange.order(id)).toBeUndefined();
  });

  test("a timed halt ends on time: MARKET_STATUS OPEN with no other command", async () => {
    const rt = startRuntime();
    await seed(rt);
    const until = wallMicros() + 200_000;
    const halted = nextDelivery(rt, "the HALT", (s) => s.token === 77);
    rt.submit(makeCommand({ type: CommandType.HALT, symbol: ETH, expireTime: until, actor: 2 }), 77);
    await halted;
    expect(rt.exchange.book.market(ETH)?.state).toBe(MarketState.HALTED);
    const reopened = await nextDelivery(rt, "STATUS OPEN after the halt", (s) => s.events.some((e) => e[0] === EventType.STATUS && e[1] === ETH));
    expect(reopened.token).toBe(DEADLINE_TOKEN);
    expect(reopened.time).toBeGreaterThanOrEqual(until);
    expect(rt.exchange.book.market(ETH)?.state).toBe(MarketState.OPEN);
  });

  test("DAY orders expire at the session close by an END_OF_DAY for that symbol; GTC orders stay", async () => {
    // ETH-USD trades 09:00–21:00 UTC on weekdays; the sequencer's clock starts 1.5 s before Wednesday's close
    // (room for start-up and the orders on a loaded machine).
    const calendar = { timeZone: "UTC", sessions: [{ days: [1, 2, 3, 4, 5], open: "09:00", close: "21:00" }] };
    const exchange = { ...config.exchange, instruments: config.exchange.instruments.map((i) => (i.id === ETH ? { ...i, calendar } : i)) };
    const close = Date.parse("2026-11-25T21:00:00Z") * 1000;
    const offset = close - 1_500_000 - wallMicros();
    const rt = startRuntime({ clock: () => wallMicros() + offset }, exchange);
    await seed(rt);
    expect(rt.exchange.book.market(ETH)?.state, "the first look-up of the calendar is itself a deadline").toBe(MarketState.OPEN);
    const day = await buy(rt, ETH, 39_500, TimeInForce.DAY, 0, 9001);
    const gtc = await buy(rt, ETH, 39_400, TimeInForce.GTC, 0, 9002);
    const eod = await nextDelivery(rt, `EXPIRED of DAY order ${day}`, expiredOf(day));
    expect(eod.token).toBe(DEADLINE_TOKEN);
    expect(eod.time).toBeGreaterThanOrEqual(close);
    const status = eod.events.find((e) => e[0] === EventType.STATUS);
    expect(status?.[1]).toBe(ETH);
    expect(eod.events.find((e) => e[0] === EventType.EXPIRED)?.[3]).toBe(Reason.DAY_EXPIRED);
    expect(rt.exchange.order(day)).toBeUndefined();
    expect(rt.exchange.order(gtc)).toBeDefined();
    // Next: the open on Thursday, a TICK; no second END_OF_DAY.
    expect(rt.deadline).toBe(Date.parse("2026-11-26T09:00:00Z") * 1000);
    expect(rt.deadlineSymbol).toBe(-1);
  });

  test("a quiet exchange sends no TICK: nothing is journaled while no deadline is set", async () => {
    const rt = startRuntime();
    await seed(rt);
    await buy(rt, BTC, 59_000, TimeInForce.GTC);
    const seq = rt.lastSeq;
    let deliveries = 0;
    rt.onDelivery(() => deliveries++);
    // Absence over a period cannot be awaited: watch a while, then count.
    await new Promise((r) => setTimeout(r, 400));
    expect(rt.deadline).toBe(Infinity);
    expect(rt.lastSeq, "commands were journaled with no deadline").toBe(seq);
    expect(deliveries).toBe(0);
    // A DAY order on a symbol without a calendar makes the next midnight UTC due, and nothing before it.
    await buy(rt, BTC, 59_001, TimeInForce.DAY, 0, 9002);
    const midnight = Math.floor(wallMicros() / 86_400_000_000 + 1) * 86_400_000_000;
    expect([rt.deadline, rt.deadlineSymbol]).toEqual([midnight, BTC]);
  });

  test("DAY orders on a symbol without a calendar expire at midnight UTC by an END_OF_DAY; GTC stays; the journal replays to the same hash", async () => {
    // The sequencer's clock starts 1.5 s before midnight UTC (room for start-up and the orders on a loaded machine).
    const midnight = Date.parse("2026-11-26T00:00:00Z") * 1000;
    const offset = midnight - 1_500_000 - wallMicros();
    const dir = dataDir();
    const rt = Runtime.start({ config: config.exchange, dataDir: dir, clock: () => wallMicros() + offset });
    closers.push(() => rt.close());
    await seed(rt);
    const day = await buy(rt, BTC, 59_000, TimeInForce.DAY, 0, 9001);
    const gtc = await buy(rt, BTC, 58_900, TimeInForce.GTC, 0, 9002);
    expect([rt.deadline, rt.deadlineSymbol]).toEqual([midnight, BTC]);
    const eod = await nextDelivery(rt, `EXPIRED of DAY order ${day}`, expiredOf(day));
    expect(eod.token).toBe(DEADLINE_TOKEN);
    expect(eod.time).toBeGreaterThanOrEqual(midnight);
    expect(eod.events.find((e) => e[0] === EventType.EXPIRED)?.[3]).toBe(Reason.DAY_EXPIRED);
    expect(rt.exchange.order(day)).toBeUndefined();
    expect(rt.exchange.order(gtc)).toBeDefined();
    // No DAY order left: no next day end, no daily command.
    expect(rt.deadline).toBe(Infinity);
    const live = stateHash(rt.exchange);
    rt.close();
    const r = recover({ dataDir: dir, config: config.exchange, readOnly: true });
    expect(r.seq).toBe(rt.lastSeq);
    expect(stateHash(r.exchange)).toBe(live);
    expect(r.exchange.order(day)).toBeUndefined();
  });

  test("a day end passed while no timer ran (an old journal, or a server down over midnight) is journaled as END_OF_DAY at start", async () => {
    const midnight = Date.parse("2026-11-26T00:00:00Z") * 1000;
    let offset = midnight - 1_000_000 - wallMicros();
    const clock = () => wallMicros() + offset;
    const dir = dataDir();
    // First run: no timer, as before day ends existed. A command after midnight expires nothing by itself.
    const old = Runtime.start({ config: config.exchange, dataDir: dir, deadlines: false, clock });
    await seed(old);
    const day = await buy(old, BTC, 59_000, TimeInForce.DAY, 0, 9001);
    offset += 2_000_000;
    const gtc = await buy(old, BTC, 58_900, TimeInForce.GTC, 0, 9002);
    expect(old.exchange.order(day)).toBeDefined();
    old.close();

    const rt = Runtime.start({ config: config.exchange, dataDir: dir, clock });
    closers.push(() => rt.close());
    const eod = await nextDelivery(rt, `EXPIRED of DAY order ${day} after the restart`, expiredOf(day));
    expect(eod.token).toBe(DEADLINE_TOKEN);
    expect(eod.seq).toBe(old.lastSeq + 1);
    expect(eod.events.find((e) => e[0] === EventType.EXPIRED)?.[3]).toBe(Reason.DAY_EXPIRED);
    expect(rt.exchange.order(gtc)).toBeDefined();
  });

  test("a journal with the timer's TICKs replays to the same state hash", async () => {
    const dir = dataDir();
    const rt = Runtime.start({ config: config.exchange, dataDir: dir });
    await seed(rt);
    // Three GTD orders a little apart: each expiry is its own TICK (the orders' ids are their seqs).
    const first = rt.lastSeq + 1;
    const ids = [first, first + 1, first + 2];
    const expiries = nextDelivery(rt, "the three expiries", (s) => s.token === DEADLINE_TOKEN && s.events.some((e) => e[0] === EventType.EXPIRED && e[2] === ids[2]));
    const now = wallMicros();
    // Submitted in one turn, so sequenced together with consecutive ids.
    for (let k = 0; k < 3; k++) rt.submit(makeCommand({ type: CommandType.NEW_ORDER, account: 1, symbol: BTC, side: Side.BUY, price: 59_000 + k, qty: 1, tif: TimeInForce.GTD, expireTime: now + 100_000 + 50_000 * k }), 9001 + k);
    await expiries;
    const live = stateHash(rt.exchange);
    rt.close();
    const r = recover({ dataDir: dir, config: config.exchange, readOnly: true });
    expect(r.seq).toBe(rt.lastSeq);
    expect(stateHash(r.exchange)).toBe(live);
    for (const id of ids) expect(r.exchange.order(id)).toBeUndefined();
  });

  test("deadlines: false sends nothing (tools that drive time themselves)", async () => {
    const rt = startRuntime({ deadlines: false });
    await seed(rt);
    const id = await buy(rt, BTC, 59_000, TimeInForce.GTD, wallMicros() + 50_000);
    const seq = rt.lastSeq;
    await new Promise((r) => setTimeout(r, 250));
    expect(rt.lastSeq).toBe(seq);
    expect(rt.exchange.order(id)).toBeDefined();
  });
});

describe("the deadline timer with the engine in a worker (workers: 1)", () => {
  test("a GTD order expires on time, through the command ring", async () => {
    const h = await WorkerHost.start({ config: config.exchange, dataDir: dataDir() });
    closers.push(() => h.close());
    await expectTimedExpiry(h);
  }, 30_000);
});
