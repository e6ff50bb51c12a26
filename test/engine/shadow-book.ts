/**
 * The property test's independent checks of the engine's output (see properties.test.ts): a
 * "shadow book" rebuilt from the events alone, a ledger of quantities per order, and the readable
 * event formatting its failures print.
 */
import { OrderType, Side, StpMode } from "../../engine/commands.ts";
import { type EngineEvent } from "../../engine/events.ts";
import { type MatchingEngine, type OrderView } from "../../engine/matching.ts";
import { reasonName } from "../../engine/reasons.ts";
import { INSTRUMENTS, SYMBOLS, type GenCommand } from "./gen.ts";

export class PropertyFailure extends Error {}

/** JSON that keeps Infinity / NaN apart from null (a STATUS `until` may be Infinity). */
export function json(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x));
}

export function fmtEvent(e: EngineEvent | undefined): string {
  if (!e) return "(none)";
  const withReason = "reason" in e ? { ...e, reason: `${e.reason} ${reasonName(e.reason)}` } : e;
  return json(withReason);
}

export function fmtEvents(es: EngineEvent[]): string {
  return es.map((e, i) => `    [${i}] ${fmtEvent(e)}`).join("\n") || "    (no events)";
}

export function same(a: unknown, b: unknown): boolean {
  return json(a) === json(b);
}

// ------------------------------------------------------------------ shadow book

const HALTED = 2;
const INST = new Map(INSTRUMENTS.map((i) => [i.id, i]));
const offset = (ref: number, bps: number) => Math.floor((ref * bps) / 10000);

interface ShadowOrder {
  orderId: number;
  account: number;
  symbol: number;
  side: number;
  price: number;
  leaves: number;
  stp: number;
  /** Priority within a level: engine entrySeq for orders known at command start, then local arrival. */
  rank: number;
}

interface Pending {
  orderId: number;
  account: number;
  symbol: number;
  side: number;
  orderType: number;
  /** Limit (LIMIT / STOP_LIMIT) or cap (STOP, 0 = none). */
  price: number;
  leaves: number;
  stp: number;
}

interface Taker {
  orderId: number;
  account: number;
  symbol: number;
  side: number;
  /** Limit price; null for a market order (its band is checked by the reference comparison). */
  limit: number | null;
  /** A market order's cap, 0 = none. */
  cap: number;
  stp: number;
  leaves: number;
  rested: boolean;
}

/**
 * Rebuilds the books from the engine's events alone and checks, event by event, that every trade
 * takes the best-priced, earliest resting order on the opposite side at the maker's price, within
 * the taker's limit or cap, not against its own account unless STP is off, never while the symbol
 * is halted, and within the trade band and volatility limit; that every LEVEL event reports the
 * true level total; that accepted limits respect the price band; and that every taker ends filled,
 * cancelled or rested.
 */
export class ShadowBook {
  resting = new Map<number, ShadowOrder>();
  stops = new Map<number, Pending>();
  /** Per symbol, queued orders in arrival order. */
  queued = new Map<number, Pending[]>();
  halted = new Map<number, boolean>();
  lastPrice = new Map<number, number>();
  /** Trades per symbol since its last halt, for the volatility check (kept across commands). */
  history = new Map<number, { time: number; price: number }[]>();
  private localRank = 1e15;

  /** Synchronise with the engine's state at the start of a command. */
  reset(eng: MatchingEngine): void {
    this.resting.clear();
    this.stops.clear();
    this.queued.clear();
    const pending = (o: OrderView): Pending => ({ orderId: o.orderId, account: o.account, symbol: o.symbol, side: o.side, orderType: o.orderType, price: o.price, leaves: o.leaves, stp: o.stp });
    for (const o of eng.openOrders()) {
      if (o.status === "resting") {
        this.resting.set(o.orderId, { orderId: o.orderId, account: o.account, symbol: o.symbol, side: o.side, price: o.price, leaves: o.leaves, stp: o.stp, rank: o.entrySeq });
      } else if (o.status === "stop") {
        this.stops.set(o.orderId, pending(o));
      }
    }
    for (const sym of SYMBOLS) {
      this.queued.set(sym, eng.queued(sym).map(pending));
      this.halted.set(sym, eng.market(sym)!.state === HALTED);
      this.lastPrice.set(sym, eng.lastPrice(sym));
    }
  }

  private sideOrders(symbol: number, side: number): ShadowOrder[] {
    return [...this.resting.values()]
      .filter((o) => o.symbol === symbol && o.side === side)
      .sort((a, b) => (a.price !== b.price ? (side === Side.BUY ? b.price - a.price : a.price - b.price) : a.rank - b.rank));
  }

  levelQueue(symbol: number, side: number, price: number): number[] {
    return this.sideOrders(symbol, side)
      .filter((o) => o.price === price)
      .map((o) => o.orderId);
  }

  private levelIs(symbol: number, side: number, price: number, qty: number, count: number): boolean {
    const lvl = this.sideOrders(symbol, side).filter((o) => o.price === price);
    return lvl.length === count && lvl.reduce((sum, o) => sum + o.leaves, 0) === qty;
  }

  queuedIds(symbol: number): number[] {
    return (this.queued.get(symbol) ?? []).map((o) => o.orderId);
  }

  private dropQueued(orderId: number): Pending | undefined {
    for (const list of this.queued.values()) {
      const i = list.findIndex((o) => o.orderId === orderId);
      if (i >= 0) return list.splice(i, 1)[0];
    }
    return undefined;
  }

  /** Replays one command's events; returns a description of the first violation, or null. */
  check(cmd: GenCommand, events: EngineEvent[]): string | null {
    const now = cmd.time;
    let taker: Taker | null = null;
    let departurePending = false;
    /** Orders being released (symbol reopened), in arrival order. */
    let release: Pending[] = [];

    const unfinished = (t: Taker | null) => t !== null && !t.rested && t.leaves > 0;
    const startTaker = (t: Taker): string | null => {
      if (unfinished(taker)) return `taker ${taker!.orderId} left with ${taker!.leaves} leaves, neither rested nor cancelled, when ${t.orderId} started`;
      taker = t;
      return null;
    };
    /** A released order becomes the taker at its first event. */
    const promote = (orderId: number): string | null => {
      if (release.length === 0 || release[0]!.orderId !== orderId) return null;
      const q = release.shift()!;
      this.dropQueued(q.orderId);
      return startTaker({ orderId: q.orderId, account: q.account, symbol: q.symbol, side: q.side, limit: q.price, cap: 0, stp: q.stp, leaves: q.leaves, rested: false });
    };

    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const bad = (msg: string) => `event [${i}] ${fmtEvent(e)}: ${msg}`;
      if (e.type !== "trade" && "orderId" in e && release.length > 0) {
        const err = promote(e.orderId);
        if (err) return bad(err);
      }
      switch (e.type) {
        case "accepted": {
          const spec = INST.get(e.symbol)!;
          if ((e.orderType === OrderType.LIMIT || e.orderType === OrderType.STOP_LIMIT) && spec.priceBandBps) {
            const ref = this.lastPrice.get(e.symbol) || spec.referencePrice || 0;
            if (ref > 0 && Math.abs(e.price - ref) > offset(ref, spec.priceBandBps)) return bad(`limit outside the price band around ${ref}`);
          }
          const p: Pending = { orderId: e.orderId, account: e.account, symbol: e.symbol, side: e.side, orderType: e.orderType, price: e.price, leaves: e.leaves, stp: cmd.stp ?? 0 };
          if (e.orderType === OrderType.STOP || e.orderType === OrderType.STOP_LIMIT) {
            this.stops.set(e.orderId, p);
          } else if (this.halted.get(e.symbol)) {
            if (e.orderType !== OrderType.LIMIT) return bad("a market order accepted while the symbol is halted");
            this.queued.get(e.symbol)!.push(p);
          } else {
            const isLimit = e.orderType === OrderType.LIMIT;
            const err = startTaker({ orderId: e.orderId, account: e.account, symbol: e.symbol, side: e.side, limit: isLimit ? e.price : null, cap: isLimit ? 0 : e.price, stp: p.stp, leaves: e.leaves, rested: false });
            if (err) return bad(err);
          }
          break;
        }
        case "status":
          if (e.state === HALTED) {
            this.halted.set(e.symbol, true);
            this.history.set(e.symbol, []);
            release = release.filter((o) => o.symbol !== e.symbol);
          } else {
            if (!this.halted.get(e.symbol)) return bad("reopened a symbol that was not halted");
            if (release.length > 0) return bad(`orders ${release.map((o) => o.orderId)} were released without an event`);
            this.halted.set(e.symbol, false);
            release = [...(this.queued.get(e.symbol) ?? [])];
          }
          break;
        case "stopTriggered": {
          const s = this.stops.get(e.orderId);
          if (!s) return bad("a stop triggered that was not pending");
          this.stops.delete(e.orderId);
          if (!(e.side === Side.BUY ? e.lastPrice >= e.stopPrice : e.lastPrice <= e.stopPrice)) return bad("trigger price does not reach the stop price");
          const isLimit = s.orderType === OrderType.STOP_LIMIT;
          const err = startTaker({ orderId: e.orderId, account: e.account, symbol: e.symbol, side: e.side, limit: isLimit ? s.price : null, cap: isLimit ? 0 : s.price, stp: s.stp, leaves: e.leaves, rested: false });
          if (err) return bad(err);
          break;
        }
        case "amended": {
          const r = this.resting.get(e.orderId);
          const q = (this.queued.get(e.symbol) ?? []).find((o) => o.orderId === e.orderId);
          if (r) {
            if (e.keptPriority) {
              r.leaves = e.leaves;
            } else {
              if (this.halted.get(e.symbol)) return bad("an amend lost priority while the symbol is halted");
              this.resting.delete(e.orderId);
              departurePending = true;
              const err = startTaker({ orderId: e.orderId, account: e.account, symbol: e.symbol, side: e.side, limit: e.price, cap: 0, stp: r.stp, leaves: e.leaves, rested: false });
              if (err) return bad(err);
            }
          } else if (q) {
            if (!e.keptPriority) return bad("a queued order's amend must keep its place");
            q.price = e.price;
            q.leaves = e.leaves;
          } else {
            const s = this.stops.get(e.orderId);
            if (!s) return bad("amended an order that is not open");
            s.price = e.price;
            s.leaves = e.leaves;
          }
          break;
        }
        case "trade": {
          if ((taker as Taker | null)?.orderId !== e.takerOrderId) {
            const err = promote(e.takerOrderId);
            if (err) return bad(err);
          }
          const t = taker as Taker | null;
          if (!t || t.orderId !== e.takerOrderId) return bad(`trade by ${e.takerOrderId}, but the current taker is ${t?.orderId}`);
          if (this.halted.get(e.symbol)) return bad("a trade while the symbol is halted");
          const m = this.resting.get(e.makerOrderId);
          if (!m) return bad("maker is not resting in the book");
          if (m.symbol !== e.symbol || m.side === e.takerSide) return bad("maker is on the wrong book or side");
          const best = this.sideOrders(m.symbol, m.side)[0]!;
          if (best.orderId !== m.orderId) {
            return bad(`price-time priority: maker ${m.orderId} @${m.price} (rank ${m.rank}) but the first in the book is ${best.orderId} @${best.price} (rank ${best.rank})`);
          }
          if (e.price !== m.price) return bad(`trade price ${e.price} is not the maker's price ${m.price}`);
          const beyond = (lim: number) => (t.side === Side.BUY ? m.price > lim : m.price < lim);
          if (t.limit !== null && beyond(t.limit)) return bad(`maker price ${m.price} does not cross the taker's limit ${t.limit}`);
          if (t.cap !== 0 && beyond(t.cap)) return bad(`maker price ${m.price} is beyond the market order's cap ${t.cap}`);
          if (m.account === t.account && t.stp !== StpMode.NONE) return bad(`self-trade of account ${m.account} with stp mode ${t.stp}`);
          if (e.qty !== Math.min(m.leaves, t.leaves)) return bad(`trade qty ${e.qty} is not min(${t.leaves}, ${m.leaves})`);
          const spec = INST.get(e.symbol)!;
          const ref = this.lastPrice.get(e.symbol) || spec.referencePrice || 0;
          if (spec.tradeBandBps && ref > 0 && Math.abs(e.price - ref) > offset(ref, spec.tradeBandBps)) return bad(`print outside the trade band around ${ref}`);
          if (spec.volatilityBps && spec.volatilityWindowUs) {
            const hist = this.history.get(e.symbol) ?? [];
            hist.push({ time: now, price: e.price });
            this.history.set(e.symbol, hist);
            const inWindow = hist.filter((h) => h.time >= now - spec.volatilityWindowUs!).map((h) => h.price);
            const hi = Math.max(...inWindow);
            const lo = Math.min(...inWindow);
            if (hi - lo > offset(lo, spec.volatilityBps)) return bad(`prices ${lo}..${hi} within the volatility window`);
          }
          m.leaves -= e.qty;
          t.leaves -= e.qty;
          if (m.leaves !== e.makerLeaves) return bad(`maker leaves ${e.makerLeaves}, expected ${m.leaves}`);
          if (t.leaves !== e.takerLeaves) return bad(`taker leaves ${e.takerLeaves}, expected ${t.leaves}`);
          if (m.leaves === 0) this.resting.delete(m.orderId);
          this.lastPrice.set(e.symbol, e.price);
          break;
        }
        case "cancelled": {
          const r = this.resting.get(e.orderId);
          const t = taker as Taker | null;
          if (r) {
            if (r.leaves - e.qty !== e.leaves) return bad(`cancel of ${e.qty} from ${r.leaves} leaves ${e.leaves}`);
            r.leaves = e.leaves;
            if (r.leaves === 0) this.resting.delete(e.orderId);
          } else if (t && t.orderId === e.orderId && !t.rested) {
            if (t.leaves - e.qty !== e.leaves) return bad(`taker cancel of ${e.qty} from ${t.leaves} leaves ${e.leaves}`);
            t.leaves = e.leaves;
          } else if (this.stops.has(e.orderId)) {
            this.stops.delete(e.orderId);
          } else if (!this.dropQueued(e.orderId)) {
            return bad("cancelled an order that is neither resting, a pending stop, queued nor the taker");
          }
          break;
        }
        case "expired":
          if (!this.resting.delete(e.orderId) && !this.stops.delete(e.orderId) && !this.dropQueued(e.orderId)) return bad("expired an order that is not open");
          break;
        case "level": {
          const t = taker as Taker | null;
          const restsHere = (x: { symbol: number; side: number; price: number | null }) => e.symbol === x.symbol && e.side === x.side && e.price === x.price;
          if (departurePending) {
            departurePending = false;
          } else if (t && unfinished(t) && restsHere({ ...t, price: t.limit })) {
            // The taker's own side changes only when the taker rests.
            this.resting.set(t.orderId, { orderId: t.orderId, account: t.account, symbol: t.symbol, side: t.side, price: t.limit!, leaves: t.leaves, stp: t.stp, rank: this.localRank++ });
            t.rested = true;
          } else if (release.length > 0 && !unfinished(t) && restsHere(release[0]!) && !this.levelIs(e.symbol, e.side, e.price, e.qty, e.count)) {
            // A released order that rests without trading: its only event is this LEVEL.
            const err = promote(release[0]!.orderId);
            if (err) return bad(err);
            const r = taker as unknown as Taker;
            this.resting.set(r.orderId, { orderId: r.orderId, account: r.account, symbol: r.symbol, side: r.side, price: r.limit!, leaves: r.leaves, stp: r.stp, rank: this.localRank++ });
            r.rested = true;
          }
          const lvl = this.sideOrders(e.symbol, e.side).filter((o) => o.price === e.price);
          const qty = lvl.reduce((sum, o) => sum + o.leaves, 0);
          if (qty !== e.qty || lvl.length !== e.count) return bad(`level total is really qty ${qty} count ${lvl.length}`);
          break;
        }
        case "rejected":
          if (i !== events.length - 1) return bad("a REJECTED must be the command's last event");
          break;
      }
    }
    if (unfinished(taker)) return `taker ${taker!.orderId} ended the command with ${taker!.leaves} leaves, neither rested nor cancelled`;
    if (release.length > 0) return `orders ${release.map((o) => o.orderId)} were released without an event`;
    return null;
  }
}

// ------------------------------------------------------------------ conservation ledger

export interface Ledger {
  ordered: number;
  traded: number;
  cancelled: number;
  leaves: number;
}

export function applyLedger(ledger: Map<number, Ledger>, events: EngineEvent[]): string | null {
  const get = (id: number, e: EngineEvent) => {
    const l = ledger.get(id);
    if (!l) throw new PropertyFailure(`event ${fmtEvent(e)} for order ${id}, which was never accepted`);
    return l;
  };
  for (const e of events) {
    switch (e.type) {
      case "accepted":
        ledger.set(e.orderId, { ordered: e.qty, traded: 0, cancelled: 0, leaves: e.leaves });
        if (e.leaves !== e.qty) return `ACCEPTED ${e.orderId} with leaves ${e.leaves} ≠ qty ${e.qty}`;
        break;
      case "trade": {
        const t = get(e.takerOrderId, e);
        const m = get(e.makerOrderId, e);
        t.traded += e.qty;
        t.leaves = e.takerLeaves;
        m.traded += e.qty;
        m.leaves = e.makerLeaves;
        break;
      }
      case "cancelled": {
        const l = get(e.orderId, e);
        l.cancelled += e.qty;
        l.leaves = e.leaves;
        if (!(e.qty > 0)) return `CANCELLED ${e.orderId} of qty ${e.qty}`;
        break;
      }
      case "expired": {
        const l = get(e.orderId, e);
        l.cancelled += e.qty;
        l.leaves = 0;
        break;
      }
      case "amended": {
        const l = get(e.orderId, e);
        l.ordered = e.qty;
        l.leaves = e.leaves;
        break;
      }
      case "stopTriggered": {
        const l = get(e.orderId, e);
        if (l.leaves !== e.leaves || l.ordered !== e.qty) return `STOP_TRIGGERED ${e.orderId} qty/leaves ${e.qty}/${e.leaves}, ledger ${l.ordered}/${l.leaves}`;
        break;
      }
    }
  }
  for (const [id, l] of ledger) {
    if (l.leaves < 0 || l.ordered !== l.traded + l.cancelled + l.leaves) {
      return `order ${id}: ordered ${l.ordered} ≠ traded ${l.traded} + cancelled ${l.cancelled} + leaves ${l.leaves}`;
    }
  }
  return null;
}
