/**
 * Property tests for the market-data builder (docs/market-data.md): random command streams
 * (test/engine/gen.ts) drive a real MatchingEngine, and every command's EventBuffer goes through a
 * MarketDataBuilder. After every command:
 *
 *   - the builder's L2 mirror equals `engine.depth()` for every symbol, both sides, every level;
 *   - the command's BOOK diff holds exactly the levels whose (qty, count) the command changed,
 *     each once, with its value after the command (coalesced), at most one BOOK per symbol;
 *   - a client that took a snapshot at a random point and applies every later update to a local
 *     book (written here, from the wire contract only) has the engine's depth: exactly, from a
 *     full snapshot; from a truncated one, exactly up to the snapshot's worst price and never a
 *     level the engine lacks beyond it;
 *   - mdSeq goes up by exactly one per update per symbol, with no gap, across apply and advance;
 *   - a BBO update is written exactly when the engine's best bid or offer (price or qty) changed,
 *     and carries the new values;
 *   - TRADE updates are the TRADE events, in order, stamped with the command's time and seq;
 *   - candles equal candles recomputed here from the trades alone (open = first price, close =
 *     last, high, low, volume, trade count, UTC-aligned start), closed ones are announced once, in
 *     order, when time passes their end, and each command with trades updates each interval once;
 *   - a second builder fed the same input writes the same bytes (determinism).
 *
 * The builder gets a scaled copy of engine time (the engine's clock stays as generated, so GTD
 * expiry and halts behave as in the matching suites): the generator's few hundred µs then span
 * seconds, minutes or days of candles, starting just before a UTC midnight.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Candle, INTERVALS } from "../../engine/candles.ts";
import { makeCommand, Side } from "../../engine/commands.ts";
import { decodeEvents, EventBuffer } from "../../engine/events.ts";
import { decodeUpdates, MarketDataBuilder, type MarketDataUpdate } from "../../engine/market-data.ts";
import { type LevelView, MatchingEngine } from "../../engine/matching.ts";
import { commandStream, formatCommand, INSTRUMENTS, SYMBOLS, START_TIME, type GenCommand } from "./gen.ts";

const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 500);
const MAX_COMMANDS = Number(process.env.PROPERTY_MAX_COMMANDS ?? 150);
const TIMEOUT_MS = Number(process.env.PROPERTY_TIMEOUT_MS ?? 60_000);
const SEED = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined;

const { BUY, SELL } = Side;
/** 2024-01-02T00:00:00Z in µs. */
const MIDNIGHT = 1_704_153_600_000_000;

class PropertyFailure extends Error {}

// ------------------------------------------------------------------ a subscriber's local book

/**
 * What a client does with the wire contract alone: start from a snapshot, apply every update of
 * its symbol with a larger mdSeq, insist on no gap, keep levels by price (qty 0 = delete).
 */
class LocalBook {
  mdSeq: number;
  readonly bids = new Map<number, LevelView>();
  readonly asks = new Map<number, LevelView>();

  constructor(snap: { mdSeq: number; bids: LevelView[]; asks: LevelView[] }) {
    this.mdSeq = snap.mdSeq;
    for (const l of snap.bids) this.bids.set(l.price, { ...l });
    for (const l of snap.asks) this.asks.set(l.price, { ...l });
  }

  onUpdate(u: MarketDataUpdate): void {
    if (u.mdSeq <= this.mdSeq) return;
    if (u.mdSeq !== this.mdSeq + 1) throw new PropertyFailure(`local book: gap, expected mdSeq ${this.mdSeq + 1}, got ${u.mdSeq}`);
    this.mdSeq = u.mdSeq;
    if (u.type !== "book") return;
    for (const [side, levels] of [
      [this.bids, u.bids],
      [this.asks, u.asks],
    ] as const) {
      for (const l of levels) {
        if (l.qty === 0) side.delete(l.price);
        else side.set(l.price, { ...l });
      }
    }
  }

  depth(side: number): LevelView[] {
    const levels = [...(side === BUY ? this.bids : this.asks).values()];
    return levels.sort((a, b) => (side === BUY ? b.price - a.price : a.price - b.price));
  }
}

// ------------------------------------------------------------------ candles from trades alone

interface Trade {
  time: number;
  price: number;
  qty: number;
}

function expectedCandles(trades: Trade[], interval: number, now: number): Candle[] {
  const out: Candle[] = [];
  for (const t of trades) {
    const start = t.time - (((t.time % interval) + interval) % interval);
    const last = out[out.length - 1];
    if (last && last.openTime === start) {
      last.high = Math.max(last.high, t.price);
      last.low = Math.min(last.low, t.price);
      last.close = t.price;
      last.volume += t.qty;
      last.trades++;
    } else {
      out.push({ interval, openTime: start, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.qty, trades: 1, closed: false });
    }
  }
  for (const c of out) c.closed = now >= c.openTime + interval;
  return out;
}

// ------------------------------------------------------------------ the run

const key = (l: LevelView) => `${l.price}:${l.qty}:${l.count}`;
const depthMap = (levels: LevelView[]) => new Map(levels.map((l) => [l.price, l]));

interface Scenario {
  cmds: GenCommand[];
  /** µs of builder time per µs of engine time. */
  scale: number;
  /** Builder time of START_TIME, relative to a UTC midnight. */
  offset: number;
  /** Index of the command after which the subscribers take their snapshots. */
  subscribeAt: number;
  /** Levels per side in the truncated snapshot. */
  snapDepth: number;
  /** Whether to call advance() halfway to the next command's time between commands. */
  advances: boolean;
}

function run(s: Scenario): void {
  const engine = new MatchingEngine(INSTRUMENTS);
  const md = new MarketDataBuilder({ symbols: [...SYMBOLS], candleHistory: 100_000 });
  const twin = new MarketDataBuilder({ candleHistory: 100_000 });
  const out = new EventBuffer();
  const builderTime = (t: number) => MIDNIGHT + s.offset + (t - START_TIME) * s.scale;

  const lastMdSeq = new Map<number, number>(SYMBOLS.map((sym) => [sym, 0]));
  const trades = new Map<number, Trade[]>(SYMBOLS.map((sym) => [sym, []]));
  const closedSeen = new Map<string, Candle[]>();
  const full = new Map<number, LocalBook>();
  const partial = new Map<number, { book: LocalBook; bidEdge: number; askEdge: number }>();
  let now = -Infinity;
  let seq = 0;
  let where = "";

  const fail = (msg: string): never => {
    throw new PropertyFailure(`${where}: ${msg}`);
  };

  /** Checks shared by apply and advance: mdSeq, twin bytes, candle closes; feeds the subscribers. */
  const consume = (updates: MarketDataUpdate[]) => {
    const a = md.updates;
    const b = twin.updates;
    if (a.count !== b.count || a.levelCount !== b.levelCount) fail(`twin builder wrote ${b.count} updates / ${b.levelCount} levels, builder ${a.count} / ${a.levelCount}`);
    for (let i = 0; i < a.count * 14; i++) if (!Object.is(a.data[i], b.data[i])) fail(`twin builder differs at update slot ${i}`);
    for (let i = 0; i < a.levelCount * 4; i++) if (!Object.is(a.levels[i], b.levels[i])) fail(`twin builder differs at level slot ${i}`);
    for (const u of updates) {
      const prev = lastMdSeq.get(u.symbol)!;
      if (u.mdSeq !== prev + 1) fail(`symbol ${u.symbol}: mdSeq ${u.mdSeq} after ${prev}, expected ${prev + 1}`);
      lastMdSeq.set(u.symbol, u.mdSeq);
      if (u.seq !== seq) fail(`update seq ${u.seq}, expected ${seq}`);
      if (u.time !== now) fail(`update time ${u.time}, expected ${now}`);
      if (u.type === "candle" && u.closed) {
        const k = `${u.symbol}/${u.interval}`;
        const list = closedSeen.get(k) ?? [];
        const { type: _t, symbol: _s, mdSeq: _m, seq: _q, time: _tm, ...candle } = u;
        list.push(candle);
        closedSeen.set(k, list);
      }
      full.get(u.symbol)?.onUpdate(u);
      partial.get(u.symbol)?.book.onUpdate(u);
    }
  };

  for (let ci = 0; ci < s.cmds.length; ci++) {
    const cmd = s.cmds[ci]!;
    where = `command #${ci} ${formatCommand(cmd)}`;
    const before = new Map(SYMBOLS.map((sym) => [sym, { bids: engine.depth(sym, BUY), asks: engine.depth(sym, SELL) }]));
    out.reset();
    engine.execute(makeCommand(cmd), out);
    seq++;
    now = Math.max(now, builderTime(cmd.time));
    md.apply(out, builderTime(cmd.time), seq);
    twin.apply(out, builderTime(cmd.time), seq);
    const updates = decodeUpdates(md.updates);
    const events = decodeEvents(out);
    consume(updates);

    // Trades: one TRADE update per TRADE event, same order and values.
    const tradeEvents = events.filter((e) => e.type === "trade");
    const tradeUpdates = updates.filter((u) => u.type === "trade");
    if (tradeEvents.length !== tradeUpdates.length) fail(`${tradeEvents.length} TRADE events but ${tradeUpdates.length} trade updates`);
    tradeEvents.forEach((e, i) => {
      const u = tradeUpdates[i]!;
      if (u.symbol !== e.symbol || u.price !== e.price || u.qty !== e.qty || u.takerSide !== e.takerSide || u.tradeId !== e.tradeId) {
        fail(`trade update ${JSON.stringify(u)} does not match event ${JSON.stringify(e)}`);
      }
      trades.get(e.symbol)!.push({ time: now, price: e.price, qty: e.qty });
    });

    for (const sym of SYMBOLS) {
      const bids = engine.depth(sym, BUY);
      const asks = engine.depth(sym, SELL);
      const snap = md.snapshot(sym);
      // The mirror is the engine's depth.
      expect(snap.bids, `${where}: builder bids of symbol ${sym} must equal engine.depth`).toEqual(bids);
      expect(snap.asks, `${where}: builder asks of symbol ${sym} must equal engine.depth`).toEqual(asks);
      const market = engine.market(sym)!;
      if (snap.state !== market.state || snap.until !== market.until || snap.reason !== market.reason) {
        fail(`symbol ${sym}: status ${snap.state}/${snap.until}/${snap.reason}, engine ${market.state}/${market.until}/${market.reason}`);
      }

      // The BOOK diff: exactly the levels that changed, each once, valued after the command.
      const books = updates.filter((u) => u.symbol === sym && u.type === "book");
      if (books.length > 1) fail(`symbol ${sym}: ${books.length} BOOK updates in one command`);
      for (const [side, pre, post] of [
        [BUY, before.get(sym)!.bids, bids],
        [SELL, before.get(sym)!.asks, asks],
      ] as const) {
        const preM = depthMap(pre);
        const postM = depthMap(post);
        const changed = new Map<number, LevelView>();
        for (const p of new Set([...preM.keys(), ...postM.keys()])) {
          const x = preM.get(p);
          const y = postM.get(p);
          if ((x ? key(x) : "") !== (y ? key(y) : "")) changed.set(p, y ?? { price: p, qty: 0, count: 0 });
        }
        const diff = books[0] ? (books[0].type === "book" ? (side === BUY ? books[0].bids : books[0].asks) : []) : [];
        const diffM = depthMap(diff);
        if (diffM.size !== diff.length) fail(`symbol ${sym} side ${side}: a price appears twice in one BOOK update`);
        const want = [...changed.values()].map(key).sort();
        const got = diff.map(key).sort();
        expect(got, `${where}: symbol ${sym} side ${side}: BOOK levels must be exactly the changed levels`).toEqual(want);
      }

      // BBO: exactly when the touch changed.
      const was = before.get(sym)!;
      const t0 = [was.bids[0]?.price ?? 0, was.bids[0]?.qty ?? 0, was.asks[0]?.price ?? 0, was.asks[0]?.qty ?? 0];
      const t1 = [bids[0]?.price ?? 0, bids[0]?.qty ?? 0, asks[0]?.price ?? 0, asks[0]?.qty ?? 0];
      const bbos = updates.filter((u) => u.symbol === sym && u.type === "bbo");
      const touchChanged = t0.join() !== t1.join();
      if (bbos.length !== (touchChanged ? 1 : 0)) fail(`symbol ${sym}: touch ${t0.join()} → ${t1.join()} but ${bbos.length} BBO updates`);
      const bbo = bbos[0];
      if (bbo && bbo.type === "bbo" && [bbo.bidPrice, bbo.bidQty, bbo.askPrice, bbo.askQty].join() !== t1.join()) {
        fail(`symbol ${sym}: BBO update ${JSON.stringify(bbo)}, touch is ${t1.join()}`);
      }

      // Candles: one open-candle update per interval when the command traded the symbol.
      const traded = tradeEvents.some((e) => e.symbol === sym);
      for (const iv of INTERVALS) {
        const live = updates.filter((u) => u.symbol === sym && u.type === "candle" && u.interval === iv && !u.closed);
        if (live.length !== (traded ? 1 : 0)) fail(`symbol ${sym} ${iv} µs: ${live.length} open-candle updates, traded: ${traded}`);
        const want = expectedCandles(trades.get(sym)!, iv, now);
        const got = md.candles(sym, iv);
        expect(got, `${where}: symbol ${sym}: ${iv} µs candles must equal those recomputed from the trades`).toEqual(want);
        const closed = closedSeen.get(`${sym}/${iv}`) ?? [];
        expect(closed, `${where}: symbol ${sym}: closed ${iv} µs candles announced, in order`).toEqual(want.filter((c) => c.closed));
        const u = live[0];
        if (u && u.type === "candle") {
          const { type: _t, symbol: _s, mdSeq: _m, seq: _q, time: _tm, ...candle } = u;
          expect(candle, `${where}: the open-candle update is the candle`).toEqual(want[want.length - 1]!);
        }
      }

      // Subscribers see the engine's depth.
      const f = full.get(sym);
      if (f) {
        expect(f.depth(BUY), `${where}: full-snapshot client bids of ${sym}`).toEqual(bids);
        expect(f.depth(SELL), `${where}: full-snapshot client asks of ${sym}`).toEqual(asks);
      }
      const p = partial.get(sym);
      if (p) {
        for (const [side, engineSide, edge] of [
          [BUY, bids, p.bidEdge],
          [SELL, asks, p.askEdge],
        ] as const) {
          const inside = (l: LevelView) => (side === BUY ? l.price >= edge : l.price <= edge);
          const local = p.book.depth(side);
          expect(local.filter(inside), `${where}: truncated-snapshot client, symbol ${sym} side ${side}, inside the snapshot's range`).toEqual(engineSide.filter(inside));
          const engineM = depthMap(engineSide);
          for (const l of local) if (!engineM.has(l.price) || key(engineM.get(l.price)!) !== key(l)) fail(`truncated-snapshot client holds ${key(l)} the engine lacks`);
        }
      }
    }

    if (ci === s.subscribeAt % s.cmds.length) {
      for (const sym of SYMBOLS) {
        full.set(sym, new LocalBook(md.snapshot(sym)));
        const snap = md.snapshot(sym, s.snapDepth);
        // A side the snapshot returned whole is exact everywhere; a cut one up to its worst price.
        const edge = (levels: LevelView[], side: number) =>
          levels.length < s.snapDepth ? (side === BUY ? -Infinity : Infinity) : levels[levels.length - 1]!.price;
        partial.set(sym, { book: new LocalBook(snap), bidEdge: edge(snap.bids, BUY), askEdge: edge(snap.asks, SELL) });
      }
    }

    const next = s.cmds[ci + 1];
    if (s.advances && next) {
      const mid = builderTime(Math.floor((cmd.time + next.time) / 2));
      where = `advance(${mid}) after command #${ci}`;
      now = Math.max(now, mid);
      md.advance(mid);
      twin.advance(mid);
      const updates = decodeUpdates(md.updates);
      if (updates.some((u) => u.type !== "candle" || !u.closed)) fail(`advance wrote something other than candle closes`);
      consume(updates);
    }
  }
  // The builder's mdSeq is what it handed out.
  for (const sym of SYMBOLS) expect(md.mdSeq(sym)).toBe(lastMdSeq.get(sym)!);
}

const scenario = fc.record({
  cmds: commandStream({ maxLength: MAX_COMMANDS }),
  // Whole seconds and minutes per engine µs put trades exactly on (offset 0) or one µs before
  // (offset −1) candle boundaries; the odd scales land anywhere.
  scale: fc.constantFrom(1, 37_000, 250_000, 1_000_000, 7_000_000, 60_000_000, 1_000_000_000),
  offset: fc.oneof(fc.constantFrom(0, -1, -1_000_000), fc.integer({ min: -3_000_000, max: 0 })),
  subscribeAt: fc.nat({ max: MAX_COMMANDS }),
  snapDepth: fc.integer({ min: 1, max: 4 }),
  advances: fc.boolean(),
});

describe("market data from random streams through the matching engine", () => {
  test("L2, diffs, snapshots, mdSeq, BBO, trades and candles agree with the engine after every command", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        run(s);
      }),
      { numRuns: NUM_RUNS, seed: SEED, includeErrorInReport: true },
    );
  }, TIMEOUT_MS);

  test("the streams exercise the interesting paths", () => {
    // Guard against a generator that stops trading, stops crossing candle boundaries or never
    // makes a command touch one price twice (the case coalescing exists for).
    let trades = 0;
    let closes = 0;
    let coalesced = 0;
    let statuses = 0;
    const samples = fc.sample(scenario, { numRuns: 40, seed: 7 });
    for (const s of samples) {
      const engine = new MatchingEngine(INSTRUMENTS);
      const md = new MarketDataBuilder();
      const out = new EventBuffer();
      let seq = 0;
      for (const cmd of s.cmds) {
        out.reset();
        engine.execute(makeCommand(cmd), out);
        md.apply(out, MIDNIGHT + (cmd.time - START_TIME) * 1_000_000_000, ++seq);
        const seen = new Set<string>();
        for (const e of decodeEvents(out)) {
          if (e.type === "level") {
            const k = `${e.symbol}/${e.side}/${e.price}`;
            if (seen.has(k)) coalesced++;
            seen.add(k);
          }
        }
        for (const u of decodeUpdates(md.updates)) {
          if (u.type === "trade") trades++;
          if (u.type === "candle" && u.closed) closes++;
          if (u.type === "status") statuses++;
        }
      }
    }
    expect(trades, "trades in 40 sampled streams").toBeGreaterThan(200);
    expect(closes, "candle closes in 40 sampled streams").toBeGreaterThan(100);
    expect(coalesced, "commands writing two LEVEL events for one price").toBeGreaterThan(10);
    expect(statuses, "status updates").toBeGreaterThan(5);
  });
});
