/**
 * A venue's drop copy made from a scripted day, as a venue would send it for the fills we routed:
 * both demo instruments routed to venue ACME whose street account is the demo's account 4, so the
 * client side is every execution row of accounts 1–3. Each fill becomes one venue record with its
 * own ExecID and order id, its commission at ACME's rate, its time in the venue's zone and a little
 * off our clock: everything a venue legitimately does differently, and nothing else.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Decimal, makeInstrument } from "../../engine/instrument.ts";
import type { SqliteHistoryStore } from "../../history/sqlite-store.ts";
import type { UtcDay } from "../../reconcile/day.ts";
import type { VenueSide } from "../../reconcile/venue-vs-ours.ts";
import { demoConfig } from "../history/journal-fixture.ts";

export const STREET = 4;
export const FEE_BPS = 3;
const instruments = new Map(demoConfig.exchange.instruments.map((s) => [s.id, makeInstrument(s)]));

/** One venue record: the drop copy's CSV columns. */
export interface VenueLine {
  exec_id: string;
  venue_order_id: string;
  cl_ord_id: string;
  symbol: string;
  side: string;
  last_qty: string;
  last_px: string;
  commission: string;
  transact_time: string;
  /** UTC µs of transact_time (not a column: for building variants). */
  us: number;
}

export const COLUMNS = ["exec_id", "venue_order_id", "cl_ord_id", "symbol", "side", "last_qty", "last_px", "commission", "transact_time"] as const;

export function venueSide(dropCopy: string, toleranceUs?: number, street = STREET): VenueSide {
  return { name: "ACME", account: street, feeBps: FEE_BPS, symbols: [...instruments.keys()], dropCopy, toleranceUs };
}

/** The venue's commission: FEE_BPS of the notional, rounded up to the quote currency's micro-dollar as a venue would. */
export function commissionOf(qty: Decimal, px: Decimal): string {
  return qty.mul(px).mul(FEE_BPS).div(10_000).toDecimalPlaces(6, Decimal.ROUND_UP).toFixed();
}

/** µs in the venue's zone, `offsetMinutes` from UTC, with the offset. */
export function zoned(us: number, offsetMinutes: number): string {
  const local = new Date(Math.floor(us / 1000) + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const a = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

/** Our client-side fills of the day on the routed instruments, as the venue would record them. */
export function venueLines(store: SqliteHistoryStore, day: UtcDay, offsetMinutes = 345, skewUs = 1_500_000, street = STREET): VenueLine[] {
  const rows = store.db.query("SELECT seq, idx, liquidity, time, symbol, order_id, side, price, qty FROM executions WHERE account <> ? AND time >= ? AND time < ? ORDER BY seq, idx, liquidity").all(street, day.start, day.end) as Record<string, number>[];
  return rows.map((r, i) => {
    const inst = instruments.get(Number(r.symbol))!;
    const qty = inst.lot.mul(Number(r.qty));
    const px = inst.tick.mul(Number(r.price));
    const us = Number(r.time) + (i % 2 === 0 ? skewUs : -skewUs);
    return {
      exec_id: `ACME-X${1_000_000 + i}`, venue_order_id: `ACME-O${Number(r.order_id) * 7}`, cl_ord_id: String(r.order_id), symbol: inst.symbol, side: Number(r.side) === 0 ? "buy" : "sell",
      last_qty: qty.toFixed(), last_px: px.toFixed(), commission: commissionOf(qty, px), transact_time: zoned(us, offsetMinutes), us,
    };
  });
}

export function csvText(lines: VenueLine[]): string {
  return [COLUMNS.join(","), ...lines.map((l) => COLUMNS.map((c) => l[c]).join(","))].join("\r\n") + "\r\n";
}

/** The same records as ExecutionReports (35=8, 150=F), SOH or '|' between fields; TransactTime in UTC as FIX has it. */
export function fixText(lines: VenueLine[], sep = "\x01"): string {
  const ts = (us: number) => {
    const iso = new Date(Math.floor(us / 1000)).toISOString();
    return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 23)}`;
  };
  let n = 0;
  const msgs: string[] = [];
  for (const l of lines) {
    // A heartbeat now and then: not an execution, ignored.
    if (++n % 100 === 0) msgs.push(["8=FIX.4.4", "9=50", "35=0", "49=ACME", "56=BOURSE", `34=${n}`, "10=000"].join(sep) + sep);
    const side = l.side === "buy" ? "1" : "2";
    msgs.push(["8=FIX.4.4", "9=200", "35=8", "49=ACME", "56=BOURSE", `34=${n}`, `37=${l.venue_order_id}`, `11=${l.cl_ord_id}`, `17=${l.exec_id}`, "150=F", "39=1", `55=${l.symbol}`, `54=${side}`, `32=${l.last_qty}`, `31=${l.last_px}`, `12=${l.commission}`, "13=3", `60=${ts(l.us)}`, "10=000"].join(sep) + sep);
  }
  return msgs.join("\n") + "\n";
}

export function writeDropCopy(dir: string, name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
