import { type Instrument, parsePrice } from "../../engine/instrument.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import { Tag } from "../fix/dialect.ts";
import { MdAction, MdEntry, MdMsgType, MdTag } from "../fix/market-data.ts";
import type { Field, FixMessage } from "../fix/message.ts";
import type { MarketDataGuard, TickKind } from "./market-data-guard.ts";

/** What the feed needs of the FIX session to the venue: send an application message. Its `onApplication` hook calls `feed.onApplication`. */
export interface FeedSession {
  sendApp(fields: Field[]): number;
}

/** An instrument routed to the venue: ours (id, tick grid) and the symbol the venue knows it by (default: ours). */
export interface RoutedInstrument {
  instrument: Instrument;
  venueSymbol?: string;
}

export interface MarketDataFeedOptions {
  session: FeedSession;
  guard: MarketDataGuard;
  instruments: readonly RoutedInstrument[];
  /** Wall-clock ms: when a message came (the guard's staleness is measured in it). */
  clock: () => number;
  /** How often `start` has the guard look for stale instruments (ms). */
  checkEveryMs: number;
  /** Leads every MDReqID, so the venue's answers to this feed are told from any other request's. Default "md-". */
  reqIdPrefix?: string;
  log?: Logger;
}

const KIND: Record<string, TickKind> = { [MdEntry.BID]: "bid", [MdEntry.OFFER]: "offer", [MdEntry.TRADE]: "trade" };

/**
 * The venue's market data into the guard (docs/venues.md "Market data from the venue"): one
 * MarketDataRequest (V, snapshot + updates, top of book, bid/offer/trade) per routed instrument on
 * the FIX session to the venue; each snapshot (W) restates the instrument's price to the guard
 * (`rebase`) and each entry of it and of every incremental refresh (X) is a tick. A reject (Y) is
 * logged and that instrument hears nothing, so it goes stale and is flagged — the safe way for a
 * subscription that failed to fail. The FIX session itself (logon, resend, reconnect) is the
 * caller's: after a reconnect it calls `subscribe` again, and the new snapshots count as fresh data.
 */
export class VenueMarketDataFeed {
  private readonly byReqId = new Map<string, Instrument>();
  private readonly byVenueSymbol = new Map<string, Instrument>();
  private readonly log: Logger;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly prefix: string;

  constructor(private readonly o: MarketDataFeedOptions) {
    this.log = o.log ?? silentLogger;
    this.prefix = o.reqIdPrefix ?? "md-";
    for (const r of o.instruments) {
      const venueSymbol = r.venueSymbol ?? r.instrument.symbol;
      this.byReqId.set(this.reqId(venueSymbol), r.instrument);
      this.byVenueSymbol.set(venueSymbol, r.instrument);
    }
  }

  /** Subscribes and starts the guard's staleness checks. */
  start(): void {
    this.subscribe();
    this.timer ??= setInterval(() => this.o.guard.check(this.o.clock()), this.o.checkEveryMs);
  }

  /** Unsubscribes (when the session is still up) and stops the checks. */
  stop(unsubscribe = true): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (unsubscribe) for (const venueSymbol of this.byVenueSymbol.keys()) this.o.session.sendApp(this.request(venueSymbol, "2"));
  }

  /** Sends the subscriptions: after logon, and again after every reconnect. */
  subscribe(): void {
    for (const venueSymbol of this.byVenueSymbol.keys()) this.o.session.sendApp(this.request(venueSymbol, "1"));
  }

  /** A message from the venue; true when it was this feed's (W, X or Y of one of its MDReqIDs). */
  onApplication(m: FixMessage): boolean {
    const type = m.msgType;
    if (type !== MdMsgType.MarketDataSnapshotFullRefresh && type !== MdMsgType.MarketDataIncrementalRefresh && type !== MdMsgType.MarketDataRequestReject) return false;
    const reqId = m.get(MdTag.MDReqID) ?? "";
    const inst = this.byReqId.get(reqId) ?? (type === MdMsgType.MarketDataSnapshotFullRefresh ? this.byVenueSymbol.get(m.get(Tag.Symbol) ?? "") : undefined);
    if (!inst) return false;
    const now = this.o.clock();
    if (type === MdMsgType.MarketDataRequestReject) {
      this.log.error("venue refused the market data subscription", { symbol: inst.symbol, mdReqId: reqId, reason: m.get(MdTag.MDReqRejReason), text: m.get(Tag.Text) });
      return true;
    }
    const entries = groups(m, type === MdMsgType.MarketDataIncrementalRefresh ? MdTag.MDUpdateAction : MdTag.MDEntryType);
    if (type === MdMsgType.MarketDataSnapshotFullRefresh) {
      // The venue restates its market: its last trade, else its bid, else its offer, is the reference.
      const ref = [MdEntry.TRADE, MdEntry.BID, MdEntry.OFFER].map((t) => entries.find((e) => e.get(MdTag.MDEntryType) === t)).find((e) => e !== undefined);
      this.o.guard.rebase(inst.id, ref ? this.price(inst, ref.get(MdTag.MDEntryPx)) : 0, now);
    }
    for (const e of entries) {
      const kind = KIND[e.get(MdTag.MDEntryType) ?? ""];
      if (kind === undefined) continue;
      // An entry may name its own symbol (X); one we do not route is not ours to judge.
      const sym = e.get(Tag.Symbol);
      const target = sym !== undefined ? (this.byVenueSymbol.get(sym) ?? null) : inst;
      if (!target) continue;
      // A deleted side is a sign of life with no price in it.
      const price = e.get(MdTag.MDUpdateAction) === MdAction.DELETE ? 0 : this.price(target, e.get(MdTag.MDEntryPx));
      this.o.guard.onTick(target.id, kind, price, now);
    }
    if (entries.length === 0) this.o.guard.onTick(inst.id, "trade", 0, now);
    return true;
  }

  private reqId(venueSymbol: string): string {
    return `${this.prefix}${venueSymbol}`;
  }

  private request(venueSymbol: string, subscriptionType: string): Field[] {
    return [
      [Tag.MsgType, MdMsgType.MarketDataRequest],
      [MdTag.MDReqID, this.reqId(venueSymbol)],
      [MdTag.SubscriptionRequestType, subscriptionType],
      [MdTag.MarketDepth, "1"],
      [MdTag.MDUpdateType, "1"],
      [MdTag.NoMDEntryTypes, "3"],
      [MdTag.MDEntryType, MdEntry.BID],
      [MdTag.MDEntryType, MdEntry.OFFER],
      [MdTag.MDEntryType, MdEntry.TRADE],
      [MdTag.NoRelatedSym, "1"],
      [Tag.Symbol, venueSymbol],
    ];
  }

  /** The venue's decimal price in our ticks; 0 (no price: a sign of life only) when it is not on our grid, which is logged. */
  private price(inst: Instrument, text: string | undefined): number {
    if (text === undefined) return 0;
    const p = parsePrice(inst, text);
    if (p.ok) return p.value;
    this.log.warn("venue price not on the instrument's tick grid", { symbol: inst.symbol, price: text });
    return 0;
  }
}

/** A repeating group's entries (NoMDEntries 268), each starting at `first`, as small maps of their fields. */
function groups(m: FixMessage, first: number): Map<number, string>[] {
  const out: Map<number, string>[] = [];
  let cur: Map<number, string> | null = null;
  let inGroups = false;
  for (const [tag, value] of m.fields) {
    if (tag === MdTag.NoMDEntries) {
      inGroups = true;
      continue;
    }
    if (!inGroups) continue;
    if (tag === first) out.push((cur = new Map()));
    // The first occurrence in an entry wins; a field outside any entry (a trailer) is skipped.
    if (cur && !cur.has(tag)) cur.set(tag, value);
  }
  return out;
}
