/**
 * Seeded operation streams for the engine benchmark, generated up front into flat typed arrays
 * (struct of arrays), so the timed loops only copy numbers into one reused Command.
 *
 * Two streams:
 *
 *  - exchange mix, after exchange-core's published benchmark: one order book holding ~1,000
 *    resting orders spread over ~750 price levels; ~9% GTC limit places, ~3% IOC limits, ~6%
 *    cancels and ~82% moves (an amend of the price by ±1 or ±2 ticks, same quantity, which loses
 *    priority and may cross the spread and trade).
 *  - simple mix: GTC limit places (some marketable), cancels and market orders.
 *
 * A BookModel tracks every order's outcome while generating, so cancels and moves always target
 * resting orders and the book stays near its target size. Each stream starts with `prefill`
 * GTC places that build the book; the benchmark runs them untimed before each measured pass.
 */
import { CommandType, OrderType, Side, TimeInForce } from "../engine/commands.ts";
import { BookModel } from "./book-model.ts";
import { Rng } from "./prng.ts";

/** The bench's own operation kinds (what the peer adapter switches on). */
export const Op = {
  LIMIT_GTC: 0,
  LIMIT_IOC: 1,
  MARKET: 2,
  CANCEL: 3,
  MOVE: 4,
} as const;
export const OP_NAMES = ["limit GTC", "limit IOC", "market", "cancel", "move"] as const;

export const SYMBOL = 1;
/** Price the book is built around (ticks). */
export const CENTER = 100_000;

export interface StreamStats {
  /** Share of measured ops per Op kind. */
  mix: number[];
  /** Share of measured ops that made at least one trade. */
  tradingOps: number;
  /** Trades (maker fills) in the measured part. */
  trades: number;
  /** Averages over the measured part, sampled every op. */
  avgOrders: number;
  avgLevels: number;
  minOrders: number;
  maxOrders: number;
  /** Model state after the last op, for cross-checking an engine. */
  final: { orders: number; levels: number; bidVolume: number; askVolume: number; bidLevels: number; askLevels: number; trades: number; lastPrice: number };
}

export interface Stream {
  name: string;
  seed: number;
  /** Total ops (prefill + measured). */
  length: number;
  /** The first `prefill` ops build the book and are never timed. */
  prefill: number;
  /** Highest order id used (ids are 1..maxOrderId, increasing in stream order). */
  maxOrderId: number;
  kind: Uint8Array;
  // Command fields, ready to copy (engine/commands.ts codes).
  cmdType: Uint8Array;
  orderType: Uint8Array;
  tif: Uint8Array;
  side: Uint8Array;
  orderId: Uint32Array;
  account: Uint32Array;
  price: Int32Array;
  /** NEW_ORDER: quantity; MOVE: the order's total ordered quantity (leaves unchanged). */
  qty: Int32Array;
  stats: StreamStats;
}

interface Builder {
  s: Stream;
  rng: Rng;
  model: BookModel;
  i: number;
  nextId: number;
}

function allocate(name: string, seed: number, length: number, prefill: number): Stream {
  return {
    name,
    seed,
    length,
    prefill,
    maxOrderId: 0,
    kind: new Uint8Array(length),
    cmdType: new Uint8Array(length),
    orderType: new Uint8Array(length),
    tif: new Uint8Array(length),
    side: new Uint8Array(length),
    orderId: new Uint32Array(length),
    account: new Uint32Array(length),
    price: new Int32Array(length),
    qty: new Int32Array(length),
    stats: undefined as unknown as StreamStats,
  };
}

/** Accounts the streams spread orders over: ids 1..ACCOUNTS (the full-path bench opens and funds each). */
export const ACCOUNTS = 1_000;

/** Order sizes 1..100 lots, skewed small. */
function size(rng: Rng): number {
  const u = rng.float();
  return 1 + Math.floor(u * u * 100);
}

/** A passive price for `side`, `off` ticks behind the opposite best (or behind the own best / center when it is empty). */
function passivePrice(m: BookModel, side: number, off: number): number {
  if (side === Side.BUY) {
    const ref = m.best[1] !== 0 ? m.best[1] : m.best[0] !== 0 ? m.best[0] + 1 : CENTER + 1;
    return Math.max(1, ref - 1 - off);
  }
  const ref = m.best[0] !== 0 ? m.best[0] : m.best[1] !== 0 ? m.best[1] - 1 : CENTER - 1;
  return ref + 1 + off;
}

function emitNew(b: Builder, kind: number, side: number, price: number, qty: number): number {
  const { s, i } = b;
  const id = b.nextId++;
  s.kind[i] = kind;
  s.cmdType[i] = CommandType.NEW_ORDER;
  s.orderType[i] = kind === Op.MARKET ? OrderType.MARKET : OrderType.LIMIT;
  s.tif[i] = kind === Op.LIMIT_GTC ? TimeInForce.GTC : TimeInForce.IOC;
  s.side[i] = side;
  s.orderId[i] = id;
  s.account[i] = 1 + b.rng.int(ACCOUNTS);
  s.price[i] = kind === Op.MARKET ? 0 : price;
  s.qty[i] = qty;
  b.model.account[id] = s.account[i]!;
  b.model.ordered[id] = qty;
  return id;
}

/** GTC limit: matches what crosses, rests the remainder. Returns true if it traded. */
function placeGtc(b: Builder, side: number, price: number, qty: number): boolean {
  const id = emitNew(b, Op.LIMIT_GTC, side, price, qty);
  const before = b.model.trades;
  const left = b.model.take(side, price, qty);
  if (left > 0) b.model.rest(id, side, price, left);
  return b.model.trades !== before;
}

function placeIoc(b: Builder, side: number, price: number, qty: number): boolean {
  emitNew(b, Op.LIMIT_IOC, side, price, qty);
  const before = b.model.trades;
  b.model.take(side, price, qty);
  return b.model.trades !== before;
}

function placeMarket(b: Builder, side: number, qty: number): boolean {
  emitNew(b, Op.MARKET, side, 0, qty);
  const before = b.model.trades;
  b.model.take(side, side === Side.BUY ? Infinity : 0, qty);
  return b.model.trades !== before;
}

function cancel(b: Builder, id: number): void {
  const { s, i, model } = b;
  s.kind[i] = Op.CANCEL;
  s.cmdType[i] = CommandType.CANCEL;
  s.side[i] = model.side[id]!;
  s.orderId[i] = id;
  s.account[i] = model.account[id]!;
  s.price[i] = model.price[id]!;
  model.remove(id);
}

/** Amend to a new price with the same total quantity: loses priority, may trade. */
function move(b: Builder, id: number, newPrice: number): boolean {
  const { s, i, model } = b;
  const side = model.side[id]!;
  s.kind[i] = Op.MOVE;
  s.cmdType[i] = CommandType.AMEND;
  s.orderType[i] = OrderType.LIMIT;
  s.side[i] = side;
  s.orderId[i] = id;
  s.account[i] = model.account[id]!;
  s.price[i] = newPrice;
  s.qty[i] = model.ordered[id]!;
  const leaves = model.leaves[id]!;
  model.remove(id);
  const before = model.trades;
  const left = model.take(side, newPrice, leaves);
  if (left > 0) model.rest(id, side, newPrice, left);
  return model.trades !== before;
}

export interface ExchangeMixOptions {
  ops: number;
  seed: number;
  /** Resting orders to hold (default 1,000). */
  orders?: number;
}

/** Mean distance (ticks) of a new passive GTC order behind the opposite best; sets the level count. */
const EXCHANGE_SPREAD_MEAN = 390;
/** Share of moves that pick the head of a best level and push it toward the other side. */
const EXCHANGE_TOP_MOVE = 0.12;
/** Share of GTC places that join 1–3 ticks behind the opposite best. */
const EXCHANGE_NEAR_TOUCH = 0.35;

/** A generator's stream of `length` ops (the first `prefill` untimed) and its book model, seeded. */
function newBuilder(name: string, seed: number, rngSeed: number, length: number, prefill: number): Builder {
  return { s: allocate(name, seed, length, prefill), rng: new Rng(rngSeed), model: new BookModel(length + 2), i: 0, nextId: 1 };
}

export function exchangeMix(o: ExchangeMixOptions): Stream {
  const target = o.orders ?? 1_000;
  const prefill = target;
  const length = prefill + o.ops;
  const b = newBuilder("exchange", o.seed, o.seed, length, prefill);
  const { s, rng, model: m } = b;
  const tally = new MixTally();

  for (b.i = 0; b.i < length; b.i++) {
    const measured = b.i >= prefill;
    if (b.i === prefill) tally.tradesAtStart = m.trades;
    let kind: number;
    if (!measured) {
      kind = Op.LIMIT_GTC;
    } else {
      // 9 / 3 / 6 / 82, with the place/cancel split nudged to hold the book near its target.
      const r = rng.float();
      const slack = m.liveCount < target * 0.97 ? 0.03 : m.liveCount > target * 1.03 ? -0.03 : 0;
      if (r < 0.03) kind = Op.LIMIT_IOC;
      else if (r < 0.12 + slack) kind = Op.LIMIT_GTC;
      else if (r < 0.18) kind = Op.CANCEL;
      else kind = Op.MOVE;
      if ((kind === Op.CANCEL || kind === Op.MOVE) && m.liveCount === 0) kind = Op.LIMIT_GTC;
      if (kind === Op.LIMIT_IOC && m.best[0] === 0 && m.best[1] === 0) kind = Op.LIMIT_GTC;
    }
    let traded = false;
    switch (kind) {
      case Op.LIMIT_GTC: {
        const side = rng.int(2);
        // Most orders spread deep into the book; some join right behind the touch, which keeps
        // the spread a few ticks wide so that top-of-book moves can cross it.
        const off = rng.chance(EXCHANGE_NEAR_TOUCH) ? rng.int(3) : Math.floor(rng.exp(EXCHANGE_SPREAD_MEAN));
        traded = placeGtc(b, side, passivePrice(m, side, off), size(rng));
        break;
      }
      case Op.LIMIT_IOC: {
        let side = rng.int(2);
        if (m.best[side ^ 1] === 0) side ^= 1;
        const opp = m.best[side ^ 1]!;
        const price = side === Side.BUY ? opp + rng.int(3) : Math.max(1, opp - rng.int(3));
        traded = placeIoc(b, side, price, size(rng));
        break;
      }
      case Op.CANCEL:
        cancel(b, m.liveAt(rng.int(m.liveCount)));
        break;
      case Op.MOVE: {
        let id = 0;
        let dir: number;
        if (rng.chance(EXCHANGE_TOP_MOVE)) {
          const side = rng.int(2);
          id = m.headOfBest(side) || m.headOfBest(side ^ 1);
          dir = m.side[id] === Side.BUY ? 1 : -1;
        } else {
          id = m.liveAt(rng.int(m.liveCount));
          dir = rng.chance(0.5) ? 1 : -1;
        }
        const newPrice = Math.max(1, m.price[id]! + dir * (1 + rng.int(2)));
        if (newPrice === m.price[id]) {
          cancel(b, id); // price 1 and moving down: never in practice
          kind = Op.CANCEL;
        } else traded = move(b, id, newPrice);
        break;
      }
    }
    if (measured) tally.add(m, kind, traded);
  }
  s.maxOrderId = b.nextId - 1;
  s.stats = finish(m, tally, o.ops, m.trades - tally.tradesAtStart);
  return s;
}

export interface SimpleMixOptions {
  ops: number;
  seed: number;
  orders?: number;
}

/** Mean passive distance of a simple-mix limit; a tighter book than the exchange mix. */
const SIMPLE_SPREAD_MEAN = 40;

/** Place limit (50%, a fifth of them marketable), cancel (30%), market (20%). */
export function simpleMix(o: SimpleMixOptions): Stream {
  const target = o.orders ?? 1_000;
  const prefill = target;
  const length = prefill + o.ops;
  const b = newBuilder("simple", o.seed, o.seed ^ 0x5bd1e995, length, prefill);
  const { s, rng, model: m } = b;
  const tally = new MixTally();

  for (b.i = 0; b.i < length; b.i++) {
    const measured = b.i >= prefill;
    if (b.i === prefill) tally.tradesAtStart = m.trades;
    let kind: number;
    if (!measured) kind = Op.LIMIT_GTC;
    else {
      const r = rng.float();
      const slack = m.liveCount < target * 0.97 ? 0.12 : m.liveCount > target * 1.03 ? -0.12 : 0;
      if (r < 0.5 + slack) kind = Op.LIMIT_GTC;
      else if (r < 0.8) kind = Op.CANCEL;
      else kind = Op.MARKET;
      if (kind === Op.CANCEL && m.liveCount === 0) kind = Op.LIMIT_GTC;
    }
    let traded = false;
    const side = rng.int(2);
    switch (kind) {
      case Op.LIMIT_GTC: {
        let price: number;
        const opp = m.best[side ^ 1]!;
        if (measured && opp !== 0 && rng.chance(0.2)) price = side === Side.BUY ? opp + rng.int(3) : Math.max(1, opp - rng.int(3));
        else price = passivePrice(m, side, Math.floor(rng.exp(SIMPLE_SPREAD_MEAN)));
        traded = placeGtc(b, side, price, size(rng));
        break;
      }
      case Op.CANCEL:
        cancel(b, m.liveAt(rng.int(m.liveCount)));
        break;
      case Op.MARKET:
        traded = placeMarket(b, side, size(rng));
        break;
    }
    if (measured) tally.add(m, kind, traded);
  }
  s.maxOrderId = b.nextId - 1;
  s.stats = finish(m, tally, o.ops, m.trades - tally.tradesAtStart);
  return s;
}

/** What a generator counts over its measured operations, for the stream's stats. */
class MixTally {
  readonly counts = [0, 0, 0, 0, 0];
  tradingOps = 0;
  sumOrders = 0;
  sumLevels = 0;
  minOrders = Infinity;
  maxOrders = 0;
  /** The model's trade count when the measured part began. */
  tradesAtStart = 0;

  add(m: BookModel, kind: number, traded: boolean): void {
    this.counts[kind]!++;
    if (traded) this.tradingOps++;
    this.sumOrders += m.liveCount;
    this.sumLevels += m.levelCount();
    if (m.liveCount < this.minOrders) this.minOrders = m.liveCount;
    if (m.liveCount > this.maxOrders) this.maxOrders = m.liveCount;
  }
}

function finish(m: BookModel, t: MixTally, ops: number, trades: number): StreamStats {
  const n = Math.max(1, ops);
  return {
    mix: t.counts.map((c) => c / n),
    tradingOps: t.tradingOps / n,
    trades,
    avgOrders: t.sumOrders / n,
    avgLevels: t.sumLevels / n,
    minOrders: ops > 0 ? t.minOrders : m.liveCount,
    maxOrders: t.maxOrders,
    final: {
      orders: m.liveCount,
      levels: m.levelCount(),
      bidVolume: m.volume(0),
      askVolume: m.volume(1),
      bidLevels: m.levels[0].size,
      askLevels: m.levels[1].size,
      trades: m.trades,
      lastPrice: m.lastPrice,
    },
  };
}
