/**
 * One fill as the venue comparison sees it, from either side (docs/reconciliation.md, "Our
 * executions against the venue's"): ours is an execution row of the client's order on a routed
 * symbol, theirs a drop-copy record. Quantities and prices are exact decimals in the instrument's
 * own terms (lots × lotSize, ticks × tickSize on our side; the venue's digits on theirs), kept as
 * canonical decimal text — no leading or trailing zeros, so equal numbers are equal strings and
 * the common case compares without arithmetic — and times are UTC µs whatever zone the venue wrote.
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
  /** Canonical decimal text (canonical()). */
  qty: string;
  px: string;
  /** Ours: "seq/idx/liquidity"; the venue's: its ExecID(17). Part of a break's id. */
  id: string;
  /** The venue's commission for the fill, canonical decimal text; null on our side. */
  commission: string | null;
  /** The instrument's id. */
  symbol: number;
  /** Our side: the client's account; the venue's: 0 (its records name no account of ours). */
  account: number;
  /** The fill as the report shows it; JSON text until a break needs it (most fills never do). */
  record: PlainRecord | string;
}

export function recordOf(f: Fill): PlainRecord {
  if (typeof f.record === "string") f.record = JSON.parse(f.record) as PlainRecord;
  return f.record;
}

/** "0050.500" → "50.5", "-0.0" → "0": one text for one number. The input is a decimal (digits, an optional point and sign). */
export function canonical(text: string): string {
  // Already canonical, as most are: no point (or a point and no trailing zero) and no leading zero.
  const c0 = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  if (c0 > 48 && c0 <= 57 && (text.indexOf(".") < 0 || last !== 48)) return text;
  let neg = false;
  let t = text;
  if (t.startsWith("-")) {
    neg = true;
    t = t.slice(1);
  }
  let [int = "", frac = ""] = t.split(".");
  int = int.replace(/^0+(?=\d)/, "");
  if (int === "") int = "0";
  frac = frac.replace(/0+$/, "");
  const out = frac === "" ? int : `${int}.${frac}`;
  return neg && out !== "0" ? `-${out}` : out;
}

/** A decimal as an integer and its number of decimals: exact arithmetic without Decimal's cost. */
export interface Scaled {
  m: bigint;
  s: number;
}

export function scaled(text: string): Scaled {
  const dot = text.indexOf(".");
  if (dot < 0) return { m: BigInt(text), s: 0 };
  return { m: BigInt(text.slice(0, dot) + text.slice(dot + 1)), s: text.length - dot - 1 };
}

export const mulScaled = (a: Scaled, b: Scaled): Scaled => ({ m: a.m * b.m, s: a.s + b.s });

/** a − b, exact. */
export function subScaled(a: Scaled, b: Scaled): Scaled {
  const s = Math.max(a.s, b.s);
  return { m: a.m * 10n ** BigInt(s - a.s) - b.m * 10n ** BigInt(s - b.s), s };
}

/** |a| < |b|. */
export function absLess(a: Scaled, b: Scaled): boolean {
  const s = Math.max(a.s, b.s);
  const x = a.m * 10n ** BigInt(s - a.s);
  const y = b.m * 10n ** BigInt(s - b.s);
  return (x < 0n ? -x : x) < (y < 0n ? -y : y);
}

export const notionalOf = (f: Fill): Decimal => new Decimal(f.qty).mul(f.px);

export const SIDE_NAMES = ["buy", "sell"] as const;
