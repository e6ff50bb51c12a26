import { type DeliveredEvents, readDeliveries } from "../../actors/delivered-events.ts";
import type { Sequencer } from "../../actors/sequencer.ts";
import { Actor, Command, CommandType, OrderType, TimeInForce, VenueDone } from "../../engine/commands.ts";
import { EventType, Rejected, Route, RouteKind } from "../../engine/events.ts";
import { formatPrice, formatQty, type Instrument, parsePrice, parseQty } from "../../engine/instrument.ts";
import { Reason, reasonName } from "../../engine/reasons.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import { fixTimestamp } from "../fix/codec.ts";
import { FIX_ORD_TYPE, FIX_SIDE, FIX_TIF, MsgType, Tag } from "../fix/dialect.ts";
import type { Field, FixMessage } from "../fix/message.ts";

/** What the router needs of its link to the venue (gateway/venue/venue-link.ts). */
export interface VenueSender {
  readonly up: boolean;
  send(fields: Field[]): number;
}

/** The suffix of a cancel's ClOrdID: `<orderId>-C<n>`; the order is its OrigClOrdID. */
const CANCEL_MARK = "-C";

/**
 * The OMS side of routing to one venue (docs/venues.md). Out: every ROUTE event for this venue,
 * read from the durable stream, becomes a FIX message — a NewOrderSingle, an OrderCancelRequest,
 * an OrderStatusRequest. In: every ExecutionReport and OrderCancelReject from the venue becomes a
 * journaled VENUE_* command, unjudged: the engine checks each fill (its order, ExecID, quantity,
 * price) and refuses what must not settle, so a replay judges exactly as the live exchange did.
 * The link's state is journaled too (VENUE_STATUS): down puts unanswered orders in
 * PENDING_UNKNOWN, up has the engine list every open order to ask the venue about.
 *
 * Our order id is the ClOrdID the venue sees, so its reports name our orders without a map that
 * would have to survive a crash.
 */
export class VenueRouter {
  private readonly cmd = new Command();
  private readonly bySymbol = new Map<string, Instrument>();
  private readonly byId = new Map<number, Instrument>();
  private cancels = 0;
  private unlisten: () => void = () => {};

  constructor(
    readonly name: string,
    /** The venue's street account: how its ROUTE events and commands are told apart from another venue's. */
    readonly venueAccount: number,
    instruments: readonly Instrument[],
    private readonly sequencer: Sequencer,
    private readonly link: VenueSender,
    private readonly log: Logger = silentLogger,
  ) {
    for (const i of instruments) {
      if (i.venueAccount !== venueAccount) continue;
      this.bySymbol.set(i.symbol, i);
      this.byId.set(i.id, i);
    }
  }

  /** Reads the durable stream from now on. */
  listen(): void {
    this.unlisten = this.sequencer.onDelivery(readDeliveries((batch) => this.delivered(batch)));
  }

  close(): void {
    this.unlisten();
  }

  /** The link is up (tier 1) or down (0), journaled: the engine's routed instruments and orders follow it. */
  linkChanged(up: boolean, why: string): void {
    this.log.info(up ? "venue connected" : "venue unavailable", { venue: this.name, reason: why });
    const c = this.command(CommandType.VENUE_STATUS, 0);
    c.tier = up ? 1 : 0;
    this.submit(c);
  }

  // ------------------------------------------------------------------------------- out

  private delivered(batch: DeliveredEvents): void {
    const d = batch.data;
    while (batch.next()) {
      if (batch.type === EventType.REJECTED) {
        this.refusedByEngine(d, batch.at, batch.seq);
        continue;
      }
      if (batch.type !== EventType.ROUTE || Route.venueAccount(d, batch.at) !== this.venueAccount) continue;
      const b = batch.at;
      const inst = this.byId.get(batch.symbol);
      if (!inst) continue;
      const orderId = Route.orderId(d, b);
      switch (Route.kind(d, b)) {
        case RouteKind.NEW:
          this.sendNew(inst, d, b, orderId, batch.time);
          break;
        case RouteKind.CANCEL:
          this.sendOrNote(orderId, "cancel", [
            [Tag.MsgType, MsgType.OrderCancelRequest],
            [Tag.ClOrdID, `${orderId}${CANCEL_MARK}${++this.cancels}`],
            [Tag.OrigClOrdID, String(orderId)],
            [Tag.Symbol, inst.symbol],
            [Tag.Side, FIX_SIDE[Route.side(d, b)]!],
            [Tag.TransactTime, fixTimestamp(Math.floor(batch.time / 1000))],
            [Tag.OrderQty, formatQty(inst, Route.qty(d, b))],
          ]);
          break;
        case RouteKind.QUERY:
          this.sendOrNote(orderId, "status request", [
            [Tag.MsgType, MsgType.OrderStatusRequest],
            [Tag.ClOrdID, String(orderId)],
            [Tag.Symbol, inst.symbol],
            [Tag.Side, FIX_SIDE[Route.side(d, b)]!],
          ]);
          break;
      }
    }
  }

  /**
   * The engine refused a report of this venue's: a fill that must not settle (unknown order,
   * repeated ExecID, over-fill, price outside the limit) or a status that disagrees with what
   * settled. Nothing moved; it is a break for an operator (docs/venues.md), raised here at error
   * level and kept in the journal for `bourse reconcile`.
   */
  private refusedByEngine(d: Float64Array, b: number, seq: number): void {
    const type = Rejected.commandType(d, b);
    if (type < CommandType.VENUE_STATUS || type > CommandType.VENUE_CANCEL_REJECT || Rejected.account(d, b) !== this.venueAccount) return;
    this.log.error("venue break: report refused, nothing settled", { venue: this.name, seq, orderId: Rejected.orderId(d, b), reason: reasonName(Rejected.reason(d, b)), commandType: type, qty: Rejected.qty(d, b), price: Rejected.price(d, b) });
  }

  private sendNew(inst: Instrument, d: Float64Array, b: number, orderId: number, time: number): void {
    const type = Route.orderType(d, b);
    const f: Field[] = [
      [Tag.MsgType, MsgType.NewOrderSingle],
      [Tag.ClOrdID, String(orderId)],
      [Tag.Symbol, inst.symbol],
      [Tag.Side, FIX_SIDE[Route.side(d, b)]!],
      [Tag.TransactTime, fixTimestamp(Math.floor(time / 1000))],
      [Tag.OrderQty, formatQty(inst, Route.qty(d, b))],
      [Tag.OrdType, FIX_ORD_TYPE[type]!],
    ];
    // A buy without a limit carries the cap its reservation was made at; the venue is not told it (a market order there has none), but a fill above it is refused here.
    if (type === OrderType.LIMIT || type === OrderType.STOP_LIMIT) f.push([Tag.Price, formatPrice(inst, Route.price(d, b))]);
    if (type === OrderType.STOP || type === OrderType.STOP_LIMIT) f.push([Tag.StopPx, formatPrice(inst, Route.stopPrice(d, b))]);
    const tif = Route.tif(d, b);
    f.push([Tag.TimeInForce, FIX_TIF[tif] ?? "1"]);
    if (tif === TimeInForce.GTD) f.push([Tag.ExpireTime, fixTimestamp(Math.floor(Route.expireTime(d, b) / 1000))]);
    this.sendOrNote(orderId, "new order", f);
  }

  /**
   * Not sent when the link is down: the order then waits, PENDING, for the VENUE_STATUS down the
   * link's end journals (PENDING_UNKNOWN), and the status request after the reconnect settles it.
   */
  private sendOrNote(orderId: number, what: string, fields: Field[]): void {
    if (this.link.send(fields) === 0) this.log.warn(`venue ${what} not sent: not logged on`, { venue: this.name, orderId });
  }

  // ------------------------------------------------------------------------------- in

  /** One application message from the venue. Never throws: what it cannot read is logged and dropped. */
  onMessage(m: FixMessage): void {
    try {
      if (m.msgType === MsgType.ExecutionReport) this.executionReport(m);
      else if (m.msgType === MsgType.OrderCancelReject) this.cancelReject(m);
      else this.log.info("venue message ignored", { venue: this.name, msgType: m.msgType, text: m.get(Tag.Text) });
    } catch (e) {
      this.log.error("venue message not handled", { venue: this.name, msgType: m.msgType, err: e });
    }
  }

  private executionReport(m: FixMessage): void {
    const clOrdId = m.get(Tag.ClOrdID) ?? "";
    const mine = clOrdId.includes(CANCEL_MARK);
    const orderId = orderIdOf(m.get(Tag.OrigClOrdID) ?? clOrdId);
    const inst = this.bySymbol.get(m.get(Tag.Symbol) ?? "");
    const execType = m.get(Tag.ExecType);
    const cum = inst ? qtyOf(inst, m.get(Tag.CumQty)) : -1;
    switch (execType) {
      case "F": {
        const c = this.command(CommandType.VENUE_FILL, orderId, inst);
        c.destination = m.get(Tag.ExecID) ?? "";
        c.qty = inst ? qtyOf(inst, m.get(Tag.LastQty)) : 0;
        c.price = inst ? priceOf(inst, m.get(Tag.LastPx)) : 0;
        return this.submit(c);
      }
      case "0":
        return this.ack(orderId, inst, cum);
      case "4":
        return this.done(orderId, inst, cum, VenueDone.CANCELLED, mine ? Reason.USER_CANCEL : Reason.VENUE_CANCELLED);
      case "C":
        return this.done(orderId, inst, cum, VenueDone.EXPIRED, 0);
      case "8":
        return this.done(orderId, inst, cum, VenueDone.REJECTED, Reason.VENUE_REJECTED);
      case "I":
        return this.status(m, orderId, inst, cum);
      default:
        // Pending New (A), Pending Cancel (6), Triggered (L), Replaced (5): nothing the engine needs.
        return;
    }
  }

  /** An answer to our OrderStatusRequest: the order's state at the venue, by its OrdStatus. */
  private status(m: FixMessage, orderId: number, inst: Instrument | undefined, cum: number): void {
    switch (m.get(Tag.OrdStatus)) {
      case "0":
      case "1":
      case "2":
      case "6":
        // Open (or filled) there: an ack with its CumQty, which the engine holds against what settled here.
        return this.ack(orderId, inst, cum);
      case "4":
        return this.done(orderId, inst, cum, VenueDone.CANCELLED, Reason.VENUE_CANCELLED);
      case "C":
        return this.done(orderId, inst, cum, VenueDone.EXPIRED, 0);
      case "8":
        // Rejected, or unknown to the venue (OrdRejReason 5): the order never reached it.
        return this.done(orderId, inst, 0, VenueDone.REJECTED, Reason.VENUE_REJECTED);
      default:
        this.log.warn("venue status answer not understood", { venue: this.name, orderId, ordStatus: m.get(Tag.OrdStatus) });
    }
  }

  private ack(orderId: number, inst: Instrument | undefined, cum: number): void {
    const c = this.command(CommandType.VENUE_ACK, orderId, inst);
    c.qty = cum;
    this.submit(c);
  }

  private done(orderId: number, inst: Instrument | undefined, cum: number, how: number, reason: number): void {
    const c = this.command(CommandType.VENUE_DONE, orderId, inst);
    c.qty = cum;
    c.flags = how;
    c.tier = reason;
    this.submit(c);
  }

  private cancelReject(m: FixMessage): void {
    const orderId = orderIdOf(m.get(Tag.OrigClOrdID) ?? m.get(Tag.ClOrdID) ?? "");
    this.log.info("venue refused a cancel", { venue: this.name, orderId, reason: m.get(Tag.CxlRejReason), text: m.get(Tag.Text) });
    this.submit(this.command(CommandType.VENUE_CANCEL_REJECT, orderId, this.bySymbol.get(m.get(Tag.Symbol) ?? "")));
  }

  private command(type: number, orderId: number, inst?: Instrument): Command {
    const c = this.cmd.reset();
    c.type = type;
    c.account = this.venueAccount;
    c.orderId = orderId;
    c.symbol = inst?.id ?? 0;
    c.actor = Actor.SYSTEM;
    return c;
  }

  private submit(c: Command): void {
    try {
      this.sequencer.submit(c, 0);
    } catch (e) {
      // Only a value no command can carry (a 100-character ExecID): the report is lost to the journal, so it is a break for an operator.
      this.log.error("venue report refused before the journal: a break", { venue: this.name, commandType: c.type, orderId: c.orderId, err: e });
    }
  }
}

/** Our order id from a ClOrdID we sent (`123`, or a cancel's `123-C4`); 0 (no order) for anything else. */
export function orderIdOf(clOrdId: string): number {
  const at = clOrdId.indexOf(CANCEL_MARK);
  const text = at >= 0 ? clOrdId.slice(0, at) : clOrdId;
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return 0;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : 0;
}

/** Lots of a FIX quantity, or 0 when absent or off the lot grid (the engine then refuses the report: a break). */
function qtyOf(inst: Instrument, text: string | undefined): number {
  if (text === undefined) return 0;
  const r = parseQty(inst, text);
  return r.ok ? r.value : 0;
}

function priceOf(inst: Instrument, text: string | undefined): number {
  if (text === undefined) return 0;
  const r = parsePrice(inst, text);
  return r.ok ? r.value : 0;
}
