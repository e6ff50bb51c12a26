/**
 * One fill as the venue comparison sees it, from either side (docs/reconciliation.md, "Our
 * executions against the venue's"): ours is an execution row of the client's order on a routed
 * symbol, theirs a drop-copy record. Quantities and prices are exact decimals in the instrument's
 * own terms (lots × lotSize, ticks × tickSize on our side; the venue's digits on theirs), so the
 * two compare without either side's grid, and times are UTC µs whatever zone the venue wrote.
 */
import { Decimal } from "../engine/instrument.ts";
import type { PlainRecord } from "./breaks.ts";

export interface Fill {
  /** ClOrdID(11): our order id (a venue's that is not a whole number is -1 and meets none of ours). */
  order: number;
  /** UTC µs. */
  time: number;
  /** Side.BUY (0) or Side.SELL (1). */
  side: number;
  qty: Decimal;
  px: Decimal;
  /** Ours: "seq/idx/liquidity"; the venue's: its ExecID(17). Part of a break's id. */
  id: string;
  /** The venue's commission for the fill; null on our side. */
  commission: Decimal | null;
  /** The instrument's id. */
  symbol: number;
  /** Our side: the client's account; the venue's: 0 (its records name no account of ours). */
  account: number;
  /** The fill as the report shows it. */
  record: PlainRecord;
}

/** A fill as one line of text, for the external sort (reconcile/fill-spill.ts), and back. */
export function fillText(f: Fill): string {
  return JSON.stringify([f.order, f.time, f.side, f.qty.toString(), f.px.toString(), f.id, f.commission?.toString() ?? null, f.symbol, f.account, f.record]);
}

export function fillOf(text: string): Fill {
  const [order, time, side, qty, px, id, commission, symbol, account, record] = JSON.parse(text) as [number, number, number, string, string, string, string | null, number, number, PlainRecord];
  return { order, time, side, qty: new Decimal(qty), px: new Decimal(px), id, commission: commission === null ? null : new Decimal(commission), symbol, account, record };
}

export const notionalOf = (f: Fill): Decimal => f.qty.mul(f.px);

export const SIDE_NAMES = ["buy", "sell"] as const;
