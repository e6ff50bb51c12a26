import { formatPrice, formatQty, type Instrument } from "../../engine/instrument.ts";
import type { Bbo, MarketDataBuilder } from "../../engine/market-data.ts";
import { MD_WIDTH, U, type UpdateBuffer, UpdateType } from "../../engine/market-data-updates.ts";
import type { FixSessionPort } from "./application.ts";
import { Tag } from "./dialect.ts";
import type { Field, FixMessage } from "./message.ts";

/** The tags and values of FIX 4.4 market data this module speaks (docs/fix.md "Market data"). */
export const MdTag = {
  MDReqID: 262,
  SubscriptionRequestType: 263,
  MarketDepth: 264,
  MDUpdateType: 265,
  NoMDEntryTypes: 267,
  NoMDEntries: 268,
  MDEntryType: 269,
  MDEntryPx: 270,
  MDEntrySize: 271,
  MDUpdateAction: 279,
  MDReqRejReason: 281,
  NoRelatedSym: 146,
} as const;

export const MdMsgType = {
  MarketDataRequest: "V",
  MarketDataSnapshotFullRefresh: "W",
  MarketDataIncrementalRefresh: "X",
  MarketDataRequestReject: "Y",
} as const;

/** MDEntryType (269). */
export const MdEntry = { BID: "0", OFFER: "1", TRADE: "2" } as const;
/** MDUpdateAction (279). */
export const MdAction = { NEW: "0", CHANGE: "1", DELETE: "2" } as const;
/** SubscriptionRequestType (263). */
const SNAPSHOT = "0";
const SUBSCRIBE = "1";
const UNSUBSCRIBE = "2";

/** MDReqRejReason (281) values we send. */
export const MdReject = {
  UNKNOWN_SYMBOL: "0",
  DUPLICATE_MDREQID: "1",
  UNSUPPORTED_SUBSCRIPTION_TYPE: "4",
  UNSUPPORTED_MARKET_DEPTH: "5",
  UNSUPPORTED_UPDATE_TYPE: "6",
  UNSUPPORTED_ENTRY_TYPE: "8",
} as const;

/** SessionRejectReason 1: a required tag is missing. */
const REQUIRED_TAG_MISSING = 1;

/** Where the door's market data comes from: the WebSocket door's fan-out, which every delivered command passes through. */
export interface MarketDataSource {
  readonly builder: Pick<MarketDataBuilder, "bbo" | "snapshot">;
  onUpdates(fn: (updates: UpdateBuffer) => void): () => void;
}

/** One live subscription: its MDReqID, symbols and the entry types it asked for. */
interface Subscription {
  reqId: string;
  session: FixMarketDataSession;
  symbols: Set<number>;
  bids: boolean;
  offers: boolean;
  trades: boolean;
}

/** The last trade per symbol: MarketDataBuilder keeps its price, not its size. */
interface LastTrade {
  price: number;
  qty: number;
}

/**
 * The FIX door's market data, shared by its sessions: top of book (best bid and offer, price and
 * size) and trades for MarketDataRequest (V), from the delivered updates the WebSocket door
 * publishes (MarketDataFanout.onUpdates) — durable data only, the same book for every door. A
 * subscription gets a MarketDataSnapshotFullRefresh (W) per symbol, then a
 * MarketDataIncrementalRefresh (X) per delivered command that changed its top of book or traded.
 * This is what lets one Bourse serve another as its venue (docs/venues.md).
 */
export class FixMarketData {
  private readonly bySymbol = new Map<string, Instrument>();
  private readonly byId = new Map<number, Instrument>();
  /** Live subscriptions by symbol. */
  private readonly subs = new Map<number, Set<Subscription>>();
  /** Live subscriptions over every symbol (a subscription to two symbols counts twice), for /metrics. */
  get subscriptions(): number {
    let n = 0;
    for (const s of this.subs.values()) n += s.size;
    return n;
  }

  /** The top of book last told, per symbol, to tell which side changed. */
  private readonly told = new Map<number, Bbo>();
  private readonly last = new Map<number, LastTrade>();
  private readonly off: () => void;

  constructor(
    private readonly source: MarketDataSource,
    instruments: readonly Instrument[],
  ) {
    for (const i of instruments) {
      this.bySymbol.set(i.symbol, i);
      this.byId.set(i.id, i);
    }
    this.off = source.onUpdates((u) => this.onUpdates(u));
  }

  close(): void {
    this.off();
    this.subs.clear();
  }

  session(port: FixSessionPort): FixMarketDataSession {
    return new FixMarketDataSession(this, port);
  }

  instrument(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  instrumentById(id: number): Instrument {
    return this.byId.get(id)!;
  }

  add(s: Subscription): void {
    for (const id of s.symbols) {
      let set = this.subs.get(id);
      if (!set) this.subs.set(id, (set = new Set()));
      // Nobody watched: what was last told is old, the book as it is now is where changes count from.
      if (set.size === 0) this.told.set(id, this.bbo(id));
      set.add(s);
    }
  }

  remove(s: Subscription): void {
    for (const id of s.symbols) this.subs.get(id)?.delete(s);
  }

  bbo(id: number): Bbo {
    const q = this.source.builder.bbo(id);
    return { bidPrice: q.bidPrice, bidQty: q.bidQty, askPrice: q.askPrice, askQty: q.askQty };
  }

  /** The last trade: as seen here, or the builder's price (its size unknown, 0) from before this door started. */
  lastTrade(id: number): LastTrade | undefined {
    const t = this.last.get(id);
    if (t) return t;
    const price = this.source.builder.snapshot(id, 0).lastPrice;
    return price > 0 ? { price, qty: 0 } : undefined;
  }

  /** The snapshot entries (W) of `id` a subscription asked for: bid, offer, last trade, each when there is one. */
  snapshotEntries(id: number, s: Pick<Subscription, "bids" | "offers" | "trades">): Field[] {
    const inst = this.byId.get(id)!;
    const q = this.bbo(id);
    const out: Field[] = [];
    const entry = (type: string, price: number, qty: number) => {
      out.push([MdTag.MDEntryType, type], [MdTag.MDEntryPx, formatPrice(inst, price)]);
      if (qty > 0) out.push([MdTag.MDEntrySize, formatQty(inst, qty)]);
    };
    let n = 0;
    if (s.bids && q.bidPrice > 0) (entry(MdEntry.BID, q.bidPrice, q.bidQty), n++);
    if (s.offers && q.askPrice > 0) (entry(MdEntry.OFFER, q.askPrice, q.askQty), n++);
    const t = s.trades ? this.lastTrade(id) : undefined;
    if (t) (entry(MdEntry.TRADE, t.price, t.qty), n++);
    return [[MdTag.NoMDEntries, String(n)], ...out];
  }

  /** One delivered command's updates: per symbol with subscribers, one X per subscription that cares. */
  private onUpdates(u: UpdateBuffer): void {
    const d = u.data;
    // Trades are remembered even with no subscriber, so a later snapshot has the last one's size.
    for (let i = 0; i < u.count; i++) {
      const b = i * MD_WIDTH;
      if (d[b + U.TYPE] === UpdateType.TRADE) this.last.set(d[b + U.SYMBOL]!, { price: d[b + U.PRICE]!, qty: d[b + U.QTY]! });
    }
    if (this.subs.size === 0) return;
    let symbols: number[] | null = null;
    for (let i = 0; i < u.count; i++) {
      const b = i * MD_WIDTH;
      const type = d[b + U.TYPE];
      if (type !== UpdateType.TRADE && type !== UpdateType.BBO) continue;
      const id = d[b + U.SYMBOL]!;
      if (!(this.subs.get(id)?.size ?? 0)) continue;
      symbols ??= [];
      if (!symbols.includes(id)) symbols.push(id);
    }
    if (symbols) for (const id of symbols) this.publish(u, id);
  }

  private publish(u: UpdateBuffer, id: number): void {
    const inst = this.byId.get(id);
    if (!inst) return;
    const d = u.data;
    const trades: Field[] = [];
    let tradeCount = 0;
    let bbo: Bbo | null = null;
    for (let i = 0; i < u.count; i++) {
      const b = i * MD_WIDTH;
      if (d[b + U.SYMBOL] !== id) continue;
      if (d[b + U.TYPE] === UpdateType.TRADE) {
        trades.push([MdTag.MDUpdateAction, MdAction.NEW], [MdTag.MDEntryType, MdEntry.TRADE], [Tag.Symbol, inst.symbol], [MdTag.MDEntryPx, formatPrice(inst, d[b + U.PRICE]!)], [MdTag.MDEntrySize, formatQty(inst, d[b + U.QTY]!)]);
        tradeCount++;
      } else if (d[b + U.TYPE] === UpdateType.BBO) {
        bbo = { bidPrice: d[b + U.BID_PRICE]!, bidQty: d[b + U.BID_QTY]!, askPrice: d[b + U.ASK_PRICE]!, askQty: d[b + U.ASK_QTY]! };
      }
    }
    const before = this.told.get(id)!;
    const bid = bbo && (bbo.bidPrice !== before.bidPrice || bbo.bidQty !== before.bidQty) ? side(inst, MdEntry.BID, before.bidPrice, bbo.bidPrice, bbo.bidQty) : null;
    const offer = bbo && (bbo.askPrice !== before.askPrice || bbo.askQty !== before.askQty) ? side(inst, MdEntry.OFFER, before.askPrice, bbo.askPrice, bbo.askQty) : null;
    if (bbo) this.told.set(id, bbo);
    for (const s of this.subs.get(id) ?? []) {
      const body: Field[] = [];
      let n = 0;
      if (s.bids && bid) (body.push(...bid), n++);
      if (s.offers && offer) (body.push(...offer), n++);
      if (s.trades) (body.push(...trades), (n += tradeCount));
      if (n === 0) continue;
      s.session.send([[Tag.MsgType, MdMsgType.MarketDataIncrementalRefresh], [MdTag.MDReqID, s.reqId], [MdTag.NoMDEntries, String(n)], ...body]);
    }
  }
}

/** One side's change of the top of book: New when it appears, Change when it moves, Delete when it empties. */
function side(inst: Instrument, type: string, was: number, price: number, qty: number): Field[] {
  if (price === 0) return [[MdTag.MDUpdateAction, MdAction.DELETE], [MdTag.MDEntryType, type], [Tag.Symbol, inst.symbol], [MdTag.MDEntryPx, formatPrice(inst, was)]];
  return [[MdTag.MDUpdateAction, was === 0 ? MdAction.NEW : MdAction.CHANGE], [MdTag.MDEntryType, type], [Tag.Symbol, inst.symbol], [MdTag.MDEntryPx, formatPrice(inst, price)], [MdTag.MDEntrySize, formatQty(inst, qty)]];
}

/**
 * One logged-on session's MarketDataRequests: MDReqIDs are unique among its live subscriptions;
 * the session's end (logout or drop) ends them.
 */
export class FixMarketDataSession {
  private readonly live = new Map<string, Subscription>();

  constructor(
    private readonly door: FixMarketData,
    private readonly port: FixSessionPort,
  ) {}

  send(fields: Field[]): void {
    this.port.sendApp(fields);
  }

  close(): void {
    for (const s of this.live.values()) this.door.remove(s);
    this.live.clear();
  }

  onMessage(m: FixMessage): void {
    for (const tag of [MdTag.MDReqID, MdTag.SubscriptionRequestType]) {
      if (!m.get(tag)) return this.port.sendReject(m, tag, REQUIRED_TAG_MISSING, `required tag ${tag} missing`);
    }
    const reqId = m.get(MdTag.MDReqID)!;
    const type = m.get(MdTag.SubscriptionRequestType)!;
    if (type === UNSUBSCRIBE) return this.unsubscribe(reqId);
    if (type !== SNAPSHOT && type !== SUBSCRIBE) return this.reject(reqId, MdReject.UNSUPPORTED_SUBSCRIPTION_TYPE, `SubscriptionRequestType ${type} is not supported (0 snapshot, 1 snapshot and updates, 2 unsubscribe)`);
    const depth = m.get(MdTag.MarketDepth);
    if (depth === undefined) return this.port.sendReject(m, MdTag.MarketDepth, REQUIRED_TAG_MISSING, `required tag ${MdTag.MarketDepth} missing`);
    // 0 is "full book" in FIX; this door serves the top of book alone, which is what it is asked to be.
    if (depth !== "0" && depth !== "1") return this.reject(reqId, MdReject.UNSUPPORTED_MARKET_DEPTH, `MarketDepth ${depth} is not supported: top of book only (0 or 1)`);
    const updateType = m.get(MdTag.MDUpdateType);
    if (type === SUBSCRIBE && updateType !== undefined && updateType !== "1") return this.reject(reqId, MdReject.UNSUPPORTED_UPDATE_TYPE, `MDUpdateType ${updateType} is not supported: incremental (1) only`);
    const types = m.getAll(MdTag.MDEntryType);
    if (types.length === 0) return this.port.sendReject(m, MdTag.MDEntryType, REQUIRED_TAG_MISSING, `required tag ${MdTag.MDEntryType} (in NoMDEntryTypes ${MdTag.NoMDEntryTypes}) missing`);
    const bad = types.find((t) => t !== MdEntry.BID && t !== MdEntry.OFFER && t !== MdEntry.TRADE);
    if (bad !== undefined) return this.reject(reqId, MdReject.UNSUPPORTED_ENTRY_TYPE, `MDEntryType ${bad} is not supported (0 bid, 1 offer, 2 trade)`);
    const names = m.getAll(Tag.Symbol);
    if (names.length === 0) return this.port.sendReject(m, Tag.Symbol, REQUIRED_TAG_MISSING, `required tag ${Tag.Symbol} (in NoRelatedSym ${MdTag.NoRelatedSym}) missing`);
    const ids: number[] = [];
    for (const name of names) {
      const inst = this.door.instrument(name);
      if (!inst) return this.reject(reqId, MdReject.UNKNOWN_SYMBOL, `unknown symbol ${name}`);
      if (!ids.includes(inst.id)) ids.push(inst.id);
    }
    if (type === SUBSCRIBE && this.live.has(reqId)) return this.reject(reqId, MdReject.DUPLICATE_MDREQID, `MDReqID ${reqId} already names a live subscription of this session`);
    const s: Subscription = { reqId, session: this, symbols: new Set(ids), bids: types.includes(MdEntry.BID), offers: types.includes(MdEntry.OFFER), trades: types.includes(MdEntry.TRADE) };
    for (const id of ids) {
      const inst = this.door.instrumentById(id);
      this.send([[Tag.MsgType, MdMsgType.MarketDataSnapshotFullRefresh], [MdTag.MDReqID, reqId], [Tag.Symbol, inst.symbol], ...this.door.snapshotEntries(id, s)]);
    }
    if (type === SUBSCRIBE) {
      this.live.set(reqId, s);
      this.door.add(s);
    }
  }

  private unsubscribe(reqId: string): void {
    const s = this.live.get(reqId);
    if (!s) return this.reject(reqId, undefined, `MDReqID ${reqId} names no live subscription of this session`);
    this.live.delete(reqId);
    this.door.remove(s);
  }

  private reject(reqId: string, reason: string | undefined, text: string): void {
    const f: Field[] = [[Tag.MsgType, MdMsgType.MarketDataRequestReject], [MdTag.MDReqID, reqId]];
    if (reason !== undefined) f.push([MdTag.MDReqRejReason, reason]);
    f.push([Tag.Text, text]);
    this.send(f);
  }
}
