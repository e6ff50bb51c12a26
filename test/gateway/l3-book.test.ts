/**
 * Market by order built from events (engine/l3.ts) against the engine itself, without
 * sockets: random command streams (test/engine/gen.ts: limits, markets, IOC/FOK, stops and
 * stop-limits triggering, both kinds of amend, cancels, mass cancels, expiries, STP in every mode,
 * halts that queue orders and release them) drive a real MatchingEngine, and each command's events
 * go through a MarketDataFanout whose published frames are decoded and applied by the SDK's
 * LocalL3Book, as a subscriber would. After every command:
 *
 *   - the event-built book equals `engine.orders(symbol, side)` order for order (id, price, leaves,
 *     queue order), none of `engine.queued(symbol)` shows in it, and its level totals equal
 *     `engine.depth()` and the L2 builder's mirror;
 *   - a subscriber that took an L3_SNAPSHOT at a random point and applied every later L3_UPDATE
 *     holds the same book, and the L3 sequence has no gap;
 *   - a second fanout seeded from the engine at a random point (a restart) follows to the same book.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { makeCommand, Side, TimeInForce, OrderType, CommandType, StpMode, Flags } from "../../engine/commands.ts";
import { EventBuffer } from "../../engine/events.ts";
import { L3Change } from "../../engine/l3.ts";
import { MatchingEngine } from "../../engine/matching.ts";
import { makeInstrument } from "../../engine/instrument.ts";
import { LocalL3Book } from "../../client/local-book.ts";
import { MarketDataFanout, topic } from "../../gateway/ws/market-data-fanout.ts";
import { Channel, decodeServer, isProtocolError, L3Action, type L3Snapshot, type L3Update, MessageType as T } from "../../protocol/index.ts";
import { commandStream, formatCommand, INSTRUMENTS, SYMBOLS, START_TIME, type GenCommand } from "../engine/gen.ts";

const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const MAX_COMMANDS = Number(process.env.PROPERTY_MAX_COMMANDS ?? 150);
const SEED = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined;

const { BUY, SELL } = Side;
const SIDES = [BUY, SELL] as const;

const engineOrders = (e: MatchingEngine, sym: number, side: number) => e.orders(sym, side).map((o) => ({ orderId: o.orderId, price: o.price, leaves: o.leaves }));
const engineQueued = (e: MatchingEngine, sym: number) => e.queued(sym).map((o) => ({ orderId: o.orderId, side: o.side, price: o.price, leaves: o.leaves }));
const clientOrders = (b: LocalL3Book, side: number) => b.orders(side === BUY ? "bid" : "ask").map((o) => ({ orderId: o.orderId, price: o.priceTicks, leaves: o.qtyLots }));

/** Feeds a fanout the way the gateway does and keeps the L3 frames it publishes, decoded. */
class Feed {
  readonly md: MarketDataFanout;
  readonly out = new EventBuffer();
  l3: (L3Update & { topic: string })[] = [];

  constructor(seedFrom?: MatchingEngine) {
    this.md = new MarketDataFanout(
      [...SYMBOLS],
      seedFrom
        ? SYMBOLS.map((sym) => ({
            symbol: sym,
            bids: seedFrom.depth(sym, BUY),
            asks: seedFrom.depth(sym, SELL),
            status: seedFrom.market(sym),
            orders: [...seedFrom.orders(sym, BUY), ...seedFrom.orders(sym, SELL)],
          }))
        : [],
    );
  }

  apply(events: EventBuffer, time: number, seq: number): void {
    this.l3 = [];
    this.md.apply(events, time, seq, 0, events.count, (tp, frame) => {
      const m = decodeServer(frame.slice());
      if (isProtocolError(m)) throw new Error(`undecodable frame on ${tp}: ${m.message}`);
      if (m.type === T.L3_UPDATE) this.l3.push({ ...m, topic: tp });
    });
  }

  snapshot(sym: number, time: number): L3Snapshot {
    let snap: L3Snapshot | undefined;
    this.md.snapshots(sym, Channel.L3, 0, time, (frame) => {
      const m = decodeServer(frame);
      if (!isProtocolError(m) && m.type === T.L3_SNAPSHOT) snap = m;
    });
    return snap!;
  }
}

// Plain comparisons, and expect() only on a failure: a run checks the whole book after every command.
function check(ok: boolean, at: () => string, what: string): void {
  if (!ok) throw new Error(`${at()}: ${what}`);
}
function same(got: unknown, want: unknown, at: () => string, what: string): void {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) expect(g, `${at()}: ${what}`).toBe(w);
}

interface Scenario {
  cmds: GenCommand[];
  /** Index of the command after which the subscriber takes its snapshots. */
  subscribeAt: number;
  /** Index of the command after which a second fanout is seeded from the engine. */
  restartAt: number;
}

function run(s: Scenario): void {
  const engine = new MatchingEngine(INSTRUMENTS);
  const feed = new Feed();
  let restarted: Feed | null = null;
  const out = new EventBuffer();
  const clients = new Map<number, LocalL3Book>();
  const lastSeq = new Map<number, number>(SYMBOLS.map((sym) => [sym, 0]));
  const subscribe = () => {
    for (const sym of SYMBOLS) {
      const b = new LocalL3Book(sym, makeInstrument(INSTRUMENTS.find((i) => i.id === sym)!));
      b.load(feed.snapshot(sym, 0));
      clients.set(sym, b);
    }
  };
  if (s.subscribeAt < 0) subscribe();
  if (s.restartAt < 0) restarted = new Feed(engine);

  for (let i = 0; i < s.cmds.length; i++) {
    const cmd = s.cmds[i]!;
    const at = () => `after command ${i} (${formatCommand(cmd)})`;
    out.reset();
    engine.execute(makeCommand(cmd), out);
    feed.apply(out, cmd.time, i + 1);
    restarted?.apply(out, cmd.time, i + 1);

    for (const u of feed.l3) {
      check(u.topic === topic(u.symbol, Channel.L3), at, `L3_UPDATE published on ${u.topic}`);
      check(u.seq === lastSeq.get(u.symbol)! + 1, at, `L3 seq ${u.seq} of symbol ${u.symbol} after ${lastSeq.get(u.symbol)}`);
      lastSeq.set(u.symbol, u.seq);
      const c = clients.get(u.symbol);
      if (c) check(c.apply(u), at, `the client refused L3_UPDATE ${u.seq}`);
    }
    check(new Set(feed.l3.map((u) => u.symbol)).size === feed.l3.length, at, "more than one L3_UPDATE for a symbol");

    for (const sym of SYMBOLS) {
      for (const side of SIDES) {
        const want = engineOrders(engine, sym, side);
        same(feed.md.l3.orders(sym, side), want, at, `symbol ${sym} side ${side}: the event-built book`);
        same(feed.md.l3.depth(sym, side), engine.depth(sym, side), at, `symbol ${sym} side ${side}: L3 totals vs engine depth`);
        const snap = feed.md.builder.snapshot(sym);
        same(feed.md.l3.depth(sym, side), side === BUY ? snap.bids : snap.asks, at, `symbol ${sym} side ${side}: L3 totals vs the L2 mirror`);
        const c = clients.get(sym);
        if (c) same(clientOrders(c, side), want, at, `symbol ${sym} side ${side}: the subscriber's book`);
        if (restarted) same(restarted.md.l3.orders(sym, side), want, at, `symbol ${sym} side ${side}: the restarted book`);
        if (restarted) same(restarted.md.l3.depth(sym, side), engine.depth(sym, side), at, `symbol ${sym} side ${side}: restarted L3 totals vs engine depth`);
      }
      const visible = new Set([...feed.md.l3.orders(sym, BUY), ...feed.md.l3.orders(sym, SELL)].map((o) => o.orderId));
      check(engineQueued(engine, sym).every((o) => !visible.has(o.orderId)), at, `symbol ${sym}: a queued order shows in the book`);
      check(feed.md.current(sym, Channel.L3) === lastSeq.get(sym)!, at, "current(L3) is the last seq sent");
    }
    if (i === s.subscribeAt) subscribe();
    if (i === s.restartAt) restarted = new Feed(engine);
  }
}

const scenario = fc
  .tuple(commandStream({ maxLength: MAX_COMMANDS }), fc.nat(), fc.nat())
  .map(([cmds, a, b]): Scenario => ({ cmds, subscribeAt: (a % (cmds.length + 1)) - 1, restartAt: (b % (cmds.length + 1)) - 1 }));

describe("market by order from events", () => {
  test("the builder's change actions are the wire's L3 actions", () => {
    expect({ ...L3Change }).toEqual({ ...L3Action });
  });

  test("equals the engine's book after every command of random streams, and so do a subscriber's and a restarted copy", () => {
    fc.assert(
      fc.property(scenario, (s) => run(s)),
      { numRuns: NUM_RUNS, seed: SEED },
    );
  }, 60_000);

  // The generator's streams mix everything; these pin the cases one at a time, with the changes a
  // subscriber sees.
  const cmd = (c: Partial<GenCommand> & { type: number }, t: number): GenCommand =>
    ({ symbol: 1, orderId: 0, account: 0, side: BUY, orderType: OrderType.LIMIT, tif: TimeInForce.GTC, stp: StpMode.CANCEL_NEWEST, flags: 0, price: 0, stopPrice: 0, qty: 0, expireTime: 0, time: START_TIME + t, ...c }) as GenCommand;
  const order = (orderId: number, side: number, price: number, qty: number, more: Partial<GenCommand> = {}) => ({ type: CommandType.NEW_ORDER, orderId, side, price, qty, account: orderId, ...more });

  function changes(cmds: GenCommand[]): { engine: MatchingEngine; feed: Feed; log: string[][] } {
    const engine = new MatchingEngine(INSTRUMENTS);
    const feed = new Feed();
    const out = new EventBuffer();
    const log: string[][] = [];
    const names = ["ADD", "UPDATE", "DELETE"];
    cmds.forEach((c, i) => {
      out.reset();
      engine.execute(makeCommand(c), out);
      feed.apply(out, c.time, i + 1);
      log.push(feed.l3.flatMap((u) => u.changes.map((x) => `${names[x.action]} ${x.side === BUY ? "b" : "s"} #${x.orderId} ${x.qty}@${x.price}`)));
      for (const sym of SYMBOLS) {
        for (const side of SIDES) {
          expect(feed.md.l3.orders(sym, side)).toEqual(engineOrders(engine, sym, side));
          expect(feed.md.l3.depth(sym, side)).toEqual(engine.depth(sym, side));
        }
      }
    });
    return { engine, feed, log };
  }

  test("amends: a shrink keeps the queue place (UPDATE); a price change or growth moves to the back (DELETE, ADD)", () => {
    const { log } = changes([
      cmd(order(1, BUY, 100, 5), 0),
      cmd(order(2, BUY, 100, 5), 1),
      cmd({ type: CommandType.AMEND, orderId: 1, account: 1, price: 100, qty: 3 }, 2),
      cmd({ type: CommandType.AMEND, orderId: 1, account: 1, price: 100, qty: 4 }, 3),
      cmd({ type: CommandType.AMEND, orderId: 2, account: 2, price: 99, qty: 5 }, 4),
    ]);
    expect(log).toEqual([["ADD b #1 5@100"], ["ADD b #2 5@100"], ["UPDATE b #1 3@100"], ["DELETE b #1 0@100", "ADD b #1 4@100"], ["DELETE b #2 0@100", "ADD b #2 5@99"]]);
  });

  test("a sweep: makers filled (DELETE) or partly (UPDATE) in queue order, the taker's remainder rests (ADD)", () => {
    const { log } = changes([
      cmd(order(1, SELL, 100, 2), 0),
      cmd(order(2, SELL, 100, 3), 1),
      cmd(order(3, SELL, 101, 4), 2),
      cmd(order(4, BUY, 101, 6), 3),
      cmd(order(5, BUY, 102, 5), 4),
    ]);
    expect(log.slice(3)).toEqual([["DELETE s #1 0@100", "DELETE s #2 0@100", "UPDATE s #3 3@101"], ["DELETE s #3 0@101", "ADD b #5 2@102"]]);
  });

  test("a stop-limit triggered into the book rests at its limit, which only its LEVEL event tells", () => {
    const { log } = changes([
      cmd(order(1, BUY, 98, 5, { orderType: OrderType.STOP_LIMIT, stopPrice: 100 }), 0),
      cmd(order(2, SELL, 100, 1), 1),
      cmd(order(3, BUY, 100, 1), 2),
    ]);
    expect(log).toEqual([[], ["ADD s #2 1@100"], ["DELETE s #2 0@100", "ADD b #1 5@98"]]);
  });

  test("STP decrement-and-cancel shrinks the maker in place; cancel-oldest deletes it", () => {
    const { log } = changes([
      cmd(order(1, SELL, 100, 5, { account: 7 }), 0),
      cmd(order(2, SELL, 100, 5, { account: 8 }), 1),
      cmd(order(3, BUY, 100, 2, { account: 7, stp: StpMode.DECREMENT_AND_CANCEL }), 2),
      cmd(order(4, BUY, 100, 4, { account: 7, stp: StpMode.CANCEL_OLDEST }), 3),
    ]);
    expect(log.slice(2)).toEqual([["UPDATE s #1 3@100"], ["DELETE s #1 0@100", "UPDATE s #2 1@100"]]);
  });

  test("orders queued during a halt are invisible; released at RESUME in arrival order, a crossing post-only is cancelled", () => {
    const halted = [
      cmd(order(1, SELL, 102, 5), 0),
      cmd({ type: CommandType.HALT, symbol: 1 }, 1),
      cmd(order(2, SELL, 101, 1), 2),
      cmd(order(3, BUY, 101, 2, { flags: Flags.POST_ONLY }), 3),
      cmd(order(4, BUY, 102, 8), 4),
      cmd({ type: CommandType.AMEND, orderId: 2, account: 2, price: 101, qty: 2 }, 5),
    ];
    const before = changes(halted);
    expect(before.log).toEqual([["ADD s #1 5@102"], [], [], [], [], []]);
    // Queued in the engine, invisible in the feed (changes() checked the feed's book is the engine's).
    expect(before.engine.queued(1).map((o) => [o.orderId, o.leaves])).toEqual([[2, 2], [3, 2], [4, 8]]);
    expect(before.feed.md.l3.size(1)).toBe(1);
    // 2 rests with its amended size; post-only 3 would now cross it and is cancelled; 4 takes 2 and 1, then rests.
    const after = changes([...halted, cmd({ type: CommandType.RESUME, symbol: 1 }, 6)]);
    expect(after.log.at(-1)).toEqual(["ADD s #2 2@101", "DELETE s #2 0@101", "DELETE s #1 0@102", "ADD b #4 1@102"]);
    expect(after.engine.queued(1)).toEqual([]);
  });

  test("a command that changes more orders than an L3_UPDATE holds (65535) is split into consecutive frames", () => {
    const engine = new MatchingEngine(INSTRUMENTS);
    const feed = new Feed();
    const out = new EventBuffer();
    const n = 70_000;
    for (let i = 1; i <= n; i++) {
      out.reset();
      engine.execute(makeCommand(cmd(order(i, BUY, 90 + (i % 5), 1, { account: 1 }), i)), out);
      feed.apply(out, START_TIME + i, i);
    }
    out.reset();
    engine.execute(makeCommand(cmd({ type: CommandType.MASS_CANCEL, account: 1 }, n + 1)), out);
    feed.apply(out, START_TIME + n + 1, n + 1);
    expect(feed.l3.map((u) => [u.seq, u.changes.length])).toEqual([
      [n + 1, 65_535],
      [n + 2, n - 65_535],
    ]);
    expect(feed.l3.flatMap((u) => u.changes).every((c) => c.action === L3Action.DELETE)).toBe(true);
    expect(feed.md.l3.size(1)).toBe(0);
  });
});
