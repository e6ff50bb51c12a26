import { formatPrice, formatQty } from "../protocol/shared.ts";
import type { Instrument } from "./instrument.ts";
import { type Ack, type Amended, type Cancelled, type Execution, MessageType, type OrderStatus, type Triggered } from "../protocol/index.ts";

/**
 * What the SDK hands back: the protocol's messages with prices and quantities as decimal strings
 * in the instrument's units (the same text placeOrder takes), and the integers still there beside
 * them: `price` "30010.5" with `priceTicks` 60021, `qty` "0.25" with `qtyLots` 250. `symbol` is the
 * instrument's name and `symbolId` its number. A price of 0 ticks means "none" (a market order's
 * limit, a limit order's stop price, an empty side of the BBO) and reads "".
 */
export type Decimals<M, P extends keyof M, Q extends keyof M> = Omit<M, P | Q | "symbol"> & { symbol: string; symbolId: number } & { [K in P]: string } & {
  [K in P as `${K & string}Ticks`]: number;
} & { [K in Q]: string } & { [K in Q as `${K & string}Lots`]: number };

export type OrderAck = Decimals<Ack, "price" | "stopPrice", "qty" | "leaves">;
export type OrderStatusReport = Decimals<OrderStatus, "price" | "stopPrice", "qty" | "filled" | "leaves">;
export type Fill = Decimals<Execution, "price", "qty" | "leaves" | "cumQty">;
export type CancelReport = Decimals<Cancelled, "price", "cancelledQty" | "leaves" | "cumQty">;
export type AmendReport = Decimals<Amended, "price" | "oldPrice", "qty" | "leaves" | "oldQty">;
export type TriggerReport = Decimals<Triggered, "stopPrice" | "lastPrice", "leaves">;

/**
 * Unsolicited order reports: fills, cancels nobody asked for (expiry, STP, IOC rest), triggers,
 * amends by another session, and a routed order's state changing at its venue (an ORDER_STATUS:
 * accepted there, or PENDING_UNKNOWN while the venue link is down; docs/venues.md).
 */
export type Report = Fill | CancelReport | AmendReport | TriggerReport | OrderStatusReport;

/** Which fields of each order message are prices (ticks) and which quantities (lots). */
const FIELDS: Record<number, { prices: readonly string[]; qtys: readonly string[] }> = {
  [MessageType.ACK]: { prices: ["price", "stopPrice"], qtys: ["qty", "leaves"] },
  [MessageType.ORDER_STATUS]: { prices: ["price", "stopPrice"], qtys: ["qty", "filled", "leaves"] },
  [MessageType.EXECUTION]: { prices: ["price"], qtys: ["qty", "leaves", "cumQty"] },
  [MessageType.CANCELLED]: { prices: ["price"], qtys: ["cancelledQty", "leaves", "cumQty"] },
  [MessageType.AMENDED]: { prices: ["price", "oldPrice"], qtys: ["qty", "leaves", "oldQty"] },
  [MessageType.TRIGGERED]: { prices: ["stopPrice", "lastPrice"], qtys: ["leaves"] },
};

/** Price text, "" for 0 ticks (no price). */
export function priceText(inst: Instrument, ticks: number): string {
  return ticks === 0 ? "" : formatPrice(inst, ticks);
}

export function qtyText(inst: Instrument, lots: number): string {
  return formatQty(inst, lots);
}

export function withDecimals(m: Ack, inst: Instrument): OrderAck;
export function withDecimals(m: OrderStatus, inst: Instrument): OrderStatusReport;
export function withDecimals(m: Ack | OrderStatus, inst: Instrument): OrderAck | OrderStatusReport;
export function withDecimals(m: Execution, inst: Instrument): Fill;
export function withDecimals(m: Cancelled, inst: Instrument): CancelReport;
export function withDecimals(m: Amended, inst: Instrument): AmendReport;
export function withDecimals(m: Triggered, inst: Instrument): TriggerReport;
export function withDecimals(m: Cancelled | OrderStatus, inst: Instrument): CancelReport | OrderStatusReport;
export function withDecimals(m: Execution | Cancelled | Amended | Triggered | OrderStatus, inst: Instrument): Report;
export function withDecimals(m: Ack | OrderStatus | Execution | Cancelled | Amended | Triggered, inst: Instrument): unknown {
  const f = FIELDS[m.type]!;
  const src = m as unknown as Record<string, number>;
  const out: Record<string, unknown> = { ...m, symbol: inst.symbol, symbolId: m.symbol };
  for (const k of f.prices) {
    out[k] = priceText(inst, src[k]!);
    out[`${k}Ticks`] = src[k];
  }
  for (const k of f.qtys) {
    out[k] = qtyText(inst, src[k]!);
    out[`${k}Lots`] = src[k];
  }
  return out;
}
