import { CommandType, VenueDone } from "../../engine/commands.ts";
import { type InstrumentSpec, makeInstrument, parsePrice, parseQty } from "../../engine/instrument.ts";
import { Reason } from "../../engine/reasons.ts";
import { type Caller, auditOf, isOperator } from "./caller.ts";
import type { Directory } from "./directory.ts";
import { done, fail, type Outcome, refusedBy } from "./outcome.ts";

/** What an operator's correction answers: the order, what was journaled, and its seq. */
export interface CorrectionResult {
  venue: string;
  orderId: number;
  command: "fill" | "done";
  seq: number;
}

export const DONE_HOW = { cancelled: VenueDone.CANCELLED, expired: VenueDone.EXPIRED, rejected: VenueDone.REJECTED } as const;
export type DoneHow = keyof typeof DONE_HOW;

/**
 * How an operator settles a venue break (docs/venues.md, docs/reconciliation.md): by journaling what
 * the venue's own record (its drop copy) shows and the link never delivered — a fill with its
 * ExecID, or the order's end with its CumQty — as the router would have, with the operator as
 * author. The engine checks it exactly as a report from the venue (the order routed there and
 * open, the ExecID new, the quantity within the order, the price within its limit, the CumQty what
 * settled), so a correction can settle nothing a venue could not; nothing is ever edited.
 */
export class VenueCorrections {
  constructor(
    private readonly directory: Directory,
    private readonly instruments: readonly InstrumentSpec[],
    /** Venue name → its street account. */
    private readonly venues: ReadonlyMap<string, number>,
  ) {}

  async fill(c: Caller, venue: string, orderId: number, f: { symbol: string; execId: string; qty: string; price: string }): Promise<Outcome<CorrectionResult>> {
    const at = this.target(c, venue, f.symbol);
    if (!at.ok) return at;
    const { account, inst } = at.value;
    const qty = parseQty(inst, f.qty);
    if (!qty.ok) return refusedBy(qty.reason);
    const price = parsePrice(inst, f.price);
    if (!price.ok) return refusedBy(price.reason);
    const r = await this.directory.submit({ type: CommandType.VENUE_FILL, account, orderId, symbol: inst.id, qty: qty.value, price: price.value, destination: f.execId, ...auditOf(c) });
    return r.ok ? done({ venue, orderId, command: "fill", seq: r.seq }) : refusedBy(r.reason);
  }

  async end(c: Caller, venue: string, orderId: number, e: { symbol: string; how: DoneHow; cumQty: string }): Promise<Outcome<CorrectionResult>> {
    const at = this.target(c, venue, e.symbol);
    if (!at.ok) return at;
    const { account, inst } = at.value;
    const cum = e.cumQty === "0" ? { ok: true as const, value: 0 } : parseQty(inst, e.cumQty);
    if (!cum.ok) return refusedBy(cum.reason);
    const reason = e.how === "rejected" ? Reason.VENUE_REJECTED : e.how === "expired" ? 0 : Reason.VENUE_CANCELLED;
    const r = await this.directory.submit({ type: CommandType.VENUE_DONE, account, orderId, symbol: inst.id, qty: cum.value, flags: DONE_HOW[e.how], tier: reason, ...auditOf(c) });
    return r.ok ? done({ venue, orderId, command: "done", seq: r.seq }) : refusedBy(r.reason);
  }

  private target(c: Caller, venue: string, symbol: string): Outcome<{ account: number; inst: ReturnType<typeof makeInstrument> }> {
    if (!isOperator(c)) return fail("forbidden", "NOT_PERMITTED", "only an operator may correct a venue's record");
    const account = this.venues.get(venue);
    if (account === undefined) return fail("not-found", "UNKNOWN_VENUE", `no venue ${venue} is configured`);
    const spec = this.instruments.find((i) => i.symbol === symbol && i.venue === venue);
    if (!spec) return fail("bad-input", "UNKNOWN_SYMBOL", `${symbol} is not routed to ${venue}`);
    return done({ account, inst: makeInstrument(spec) });
  }
}
